// `results table --json` (or --json-out) is a results file like any other: it records how it was made.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const main = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

/** Two results files of a two-prompt suite, 2 images a prompt, in a folder of their own: a baseline and a run. */
function fixtures(dir: string): { base: string; run: string } {
  const suite = join(dir, "suite.jsonl");
  writeFileSync(suite, ['{"tag":"single_object","include":[{"class":"circle","count":1}],"prompt":"a photo of a circle"}', '{"tag":"counting","include":[{"class":"star","count":2}],"prompt":"a photo of two stars"}'].join("\n") + "\n");
  const file = (name: string, strategy: string, correct: string) => {
    const path = join(dir, `${name}.json`);
    const byTag = { single_object: 0, two_object: 0, counting: 0, colors: 0, position: 0, color_attr: 0 };
    const settings = { strategy, judge: strategy === "none" ? null : "fine-tuned", n: strategy === "none" ? 1 : 20, images_per_prompt: 2, suite };
    writeFileSync(path, JSON.stringify({ overall: 0.5, by_tag: byTag, images: 4, nfe_per_image: 36, judge_calls_per_image: 0, per_image_correct: correct, settings }));
    return path;
  };
  return { base: file("base", "none", "1000"), run: file("run", "best-of-n", "1100") };
}

test("results table --json carries the command, commit, date and machine beside its rows", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "table-"));
  t.after(() => rmSync(dir, { recursive: true }));
  const { base, run } = fixtures(dir);
  const args = ["results", "table", "--baseline", base, run, "--json"];
  const r = spawnSync(process.execPath, [main, ...args], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.command, `imagecot ${args.join(" ")}`);
  for (const k of ["git_commit", "date", "machine"]) assert.ok(out[k], `${k} recorded`);
  assert.deepEqual(out.rows.map((x: { file: string }) => x.file), [base, run]);
  assert.ok(Math.abs(out.rows[1].vs_baseline.error_removed - 1 / 3) < 1e-12, "one of the baseline's three wrong images made right");
});

test("results table --json-out writes --json's object to a file and prints the table", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "table-"));
  t.after(() => rmSync(dir, { recursive: true }));
  const out = join(dir, "rows.json");
  const { base, run } = fixtures(dir);
  const inputs = ["--baseline", base, run];
  const args = ["results", "table", ...inputs, "--json-out", out];
  const r = spawnSync(process.execPath, [main, ...args], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\| run \|/, "the markdown table on stdout");
  const written = JSON.parse(readFileSync(out, "utf8"));
  assert.equal(written.command, `imagecot ${args.join(" ")}`);
  const printed = JSON.parse(spawnSync(process.execPath, [main, "results", "table", ...inputs, "--json"], { encoding: "utf8" }).stdout);
  assert.deepEqual(written.rows, printed.rows, "the same rows as --json prints");
});
