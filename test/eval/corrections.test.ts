// What PARM++'s reflection did, counted from hand-made traces and verdicts.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { correctionCounts, readImageRounds } from "../../src/eval/corrections.js";

const main = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

/** prompt 0 (counting): accepted and right; accepted and wrong. Prompt 1 (position): corrected twice, right, the last round returned; corrected once, still wrong. */
function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), "corrections-"));
  const rows = [
    { prompt_index: 0, sample_index: 0, tag: "counting", correct: true },
    { prompt_index: 0, sample_index: 1, tag: "counting", correct: false },
    { prompt_index: 1, sample_index: 0, tag: "position", correct: true },
    { prompt_index: 1, sample_index: 1, tag: "position", correct: false },
  ];
  writeFileSync(join(dir, "results.jsonl"), rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  const trace = (rounds: number, returned: number) => ({ strategy: "parm++", rounds: Array.from({ length: rounds }, (_, round) => ({ round })), returned_round: returned });
  mkdirSync(join(dir, "00000"));
  mkdirSync(join(dir, "00001"));
  writeFileSync(join(dir, "00000", "trace.json"), JSON.stringify([trace(1, 0), trace(1, 0)]));
  writeFileSync(join(dir, "00001", "trace.json"), JSON.stringify([trace(3, 2), trace(2, 0)]));
  return dir;
}

test("corrections: per tag, corrected images, those that ended right, and wrong images the judge accepted", () => {
  const c = correctionCounts(readImageRounds(folder()));
  assert.deepEqual(
    { ...c, by_tag: undefined },
    { images: 4, right: 2, corrected: 2, corrected_right: 1, returned_later: 1, wrong_accepted: 1, by_tag: undefined },
  );
  assert.deepEqual(c.by_tag.counting, { images: 2, right: 1, corrected: 0, corrected_right: 0, returned_later: 0, wrong_accepted: 1 });
  assert.deepEqual(c.by_tag.position, { images: 2, right: 1, corrected: 2, corrected_right: 1, returned_later: 1, wrong_accepted: 0 });
});

test("results corrections writes its counts with provenance, and refuses a folder that is not a scored PARM++ run", () => {
  const dir = folder();
  const out = join(dir, "c.json");
  const r = spawnSync(process.execPath, [main, "results", "corrections", dir, "--out", out], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const file = JSON.parse(readFileSync(out, "utf8"));
  assert.equal(file.corrections.corrected, 2);
  for (const k of ["command", "git_commit", "date", "machine"]) assert.ok(file[k], k);
  writeFileSync(join(dir, "00000", "trace.json"), JSON.stringify([{ strategy: "parm" }, { strategy: "parm" }]));
  const bad = spawnSync(process.execPath, [main, "results", "corrections", dir], { encoding: "utf8" });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /no PARM\+\+ rounds/);
  writeFileSync(join(dir, "results.jsonl"), JSON.stringify({ filename: "a.png", tag: "counting", correct: true }) + "\n");
  const geneval = spawnSync(process.execPath, [main, "results", "corrections", dir], { encoding: "utf8" });
  assert.equal(geneval.status, 2);
  assert.match(geneval.stderr, /results\.jsonl:1: not a row of 'eval --suite'/);
  const none = spawnSync(process.execPath, [main, "results", "corrections", join(dir, "nowhere")], { encoding: "utf8" });
  assert.equal(none.status, 2);
  assert.match(none.stderr, /no results\.jsonl/);
});
