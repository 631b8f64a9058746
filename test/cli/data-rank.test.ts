// `imagecot data rank` on tiny models: without --pairs it ranks as rankData does and writes no
// balance.json; with --pairs its balance.json records the balance asked for (which `train dpo
// --data` reads back for its later rounds) beside each tag's pairs, and the command exits 1 when
// the balance is not met; shares outside (0, 0.2] are usage errors.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { DEFAULT_BALANCE, readBalance } from "../../src/align/balance.js";
import { rankData } from "../../src/align/rank.js";
import { type DataRankCliOptions, dataRankCommand } from "../../src/cli/data-rank.js";
import { UserError } from "../../src/cli/run.js";
import { disposePipeline, loadPipeline } from "../../src/models/load.js";
import { TINY_SAMPLE, saveTiny } from "../align/tiny.js";

const root = mkdtempSync(join(tmpdir(), "imagecot-data-rank-"));
const tiny = saveTiny(root);
const cli = (out: string, extra: Partial<DataRankCliOptions> = {}): DataRankCliOptions => ({
  out,
  prompts: 4,
  samplesPerPrompt: 2,
  pairsPerPrompt: 2,
  temperature: TINY_SAMPLE.temperature,
  flatPenalty: 0,
  steps: TINY_SAMPLE.steps,
  cfg: TINY_SAMPLE.cfg,
  seed: 3,
  generator: tiny.generator,
  tokenizer: tiny.tokenizer,
  tau: 0.1,
  minTagShare: DEFAULT_BALANCE.minShare,
  maxStages: DEFAULT_BALANCE.maxStages,
  quiet: true,
  ...extra,
});

test("data rank: without --pairs, rankData's result and no balance.json", async () => {
  const out = join(root, "plain");
  const r = await dataRankCommand(cli(out));
  assert.equal(r.balance, undefined);
  assert.ok(!existsSync(join(out, "balance.json")));
  const p = loadPipeline(tiny.generator, tiny.tokenizer);
  const direct = join(root, "direct");
  const want = await rankData(p, { out: direct, prompts: 4, samplesPerPrompt: 2, seed: 3, sample: TINY_SAMPLE, pairsPerPrompt: 2, generator: tiny.generator, tau: 0.1 });
  disposePipeline(p);
  assert.deepEqual(r, want);
  assert.equal(readFileSync(join(out, "pairs.jsonl"), "utf8"), readFileSync(join(direct, "pairs.jsonl"), "utf8"));
});

test("data rank --pairs: balance.json holds the balance asked for and each tag's pairs, as returned", async () => {
  const out = join(root, "balanced");
  // no stage: an untrained generator's images give the detector no yes, so every tag would get the block cap
  const r = await dataRankCommand(cli(out, { pairs: 50, minTagShare: 0.2, maxStages: 0 }));
  assert.deepEqual(r.balance!.settings, { ...DEFAULT_BALANCE, pairs: 50, minShare: 0.2, maxStages: 0 });
  assert.deepEqual(readBalance(out), r.balance);
  assert.deepEqual(r.balance!.stages, []);
  assert.deepEqual(Object.keys(r.balance!.by_tag), ["color_attr", "colors", "counting", "position", "two_object"]);
  assert.equal(r.balance!.pairs, r.stats.pairs);
  assert.equal(r.balance!.met, false, "fewer pairs than asked");
});

test("data rank exits 1 when --pairs' balance is not met, its data written, and 0 when it is", () => {
  const main = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
  const run = (out: string, balance: string[]) =>
    spawnSync(process.execPath, [main, "data", "rank", "--out", out, "--prompts", "4", "--samples-per-prompt", "2", "--temperature", String(TINY_SAMPLE.temperature),
      "--steps", String(TINY_SAMPLE.steps), "--cfg", String(TINY_SAMPLE.cfg), "--seed", "3", "--generator", tiny.generator, "--tokenizer", tiny.tokenizer, ...balance, "--quiet"],
      { encoding: "utf8", timeout: 120_000 });
  const unmet = join(root, "unmet");
  const r = run(unmet, ["--pairs", "50", "--min-tag-share", "0.2", "--max-stages", "0"]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /balance NOT met/, "the summary is printed first");
  assert.match(r.stderr, /tag balance was not met/);
  assert.equal(readBalance(unmet)?.met, false, "balance.json written all the same");
  assert.ok(existsSync(join(unmet, "pairs.jsonl")));
  for (const balance of [[], ["--pairs", "0", "--max-stages", "0"]]) {
    const ok = run(join(root, `met-${balance.length}`), balance);
    assert.equal(ok.status, 0, `${balance.join(" ") || "no --pairs"}: ${ok.stderr}`);
  }
});

test("data rank: a flat penalty of 0 is left out of the settings (data made before the penalty resumes); another penalty is refused", async () => {
  const out = join(root, "flat");
  await dataRankCommand(cli(out));
  const meta = JSON.parse(readFileSync(join(out, "meta.json"), "utf8")) as { sample: Record<string, number> };
  assert.deepEqual(meta.sample, TINY_SAMPLE);
  await dataRankCommand(cli(out));
  await assert.rejects(dataRankCommand(cli(out, { flatPenalty: 2 })), (e: unknown) => e instanceof UserError && /holds samples made with other settings/.test(e.message));
});

test("data rank: a --min-tag-share outside (0, 0.2] is a usage error", async () => {
  for (const minTagShare of [0, 0.25])
    await assert.rejects(dataRankCommand(cli(join(root, "bad"), { pairs: 10, minTagShare })), (e: unknown) => e instanceof UserError && /--min-tag-share must be above 0 and at most 0.2/.test(e.message));
});

test.after(() => rmSync(root, { recursive: true, force: true }));
