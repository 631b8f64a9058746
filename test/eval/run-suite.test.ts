// Running a strategy over a suite: GenEval layout, costs, resuming without redoing work, and the
// rejected paths kept beside each prompt's first image.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { EmbeddedStepGenerator } from "../../src/generator/embedded-steps.js";
import { PNG } from "pngjs";
import { readRejected } from "../../src/eval/rejected.js";
import { evaluateSuite, sampleSeed } from "../../src/eval/run-suite.js";
import { promptDir, samplePath } from "../../src/geneval/layout.js";
import type { PromptMeta } from "../../src/geneval/types.js";
import type { Judge, JudgeRequest, Verdict } from "../../src/judges/judge.js";
import { strategyByName, type Strategy } from "../../src/strategies/index.js";
import { precision } from "../../src/util/precision.js";
import { tinyPipeline } from "../fixtures/tiny.js";

const { generator, tokenizer } = tinyPipeline();
const suite: PromptMeta[] = [
  { tag: "single_object", include: [{ class: "circle", count: 1 }], prompt: "a photo of a circle" },
  { tag: "colors", include: [{ class: "star", count: 1, color: "red" }], prompt: "a photo of a red star" },
];
const sample = { steps: 3, cfg: 1.5, temperature: 1, confidenceTemperature: 4.5 };

function counting(s: Strategy): { strategy: Strategy; calls: () => number } {
  let calls = 0;
  return { strategy: { ...s, run: (...a) => (calls++, s.run(...a)) }, calls: () => calls };
}

test("a suite run writes GenEval's layout with costs, and a rerun resumes instead of redoing", async () => {
  const out = mkdtempSync(join(tmpdir(), "imagecot-suite-"));
  const run = (s: Strategy) => evaluateSuite({ suite, strategy: s, ctx: { generator: new EmbeddedStepGenerator({ generator, tokenizer }), n: 4, sample }, imagesPerPrompt: 2, seed: 5, out });
  const first = counting(strategyByName("none"));
  const a = await run(first.strategy);
  assert.equal(first.calls(), 2);
  assert.equal(a.summary.images, 4);
  assert.equal(a.summary.nfe_per_image, 2 * 3, "one path, 3 steps, two CFG halves");
  assert.equal(a.summary.judge_calls_per_image, 0);
  assert.deepEqual(a.summary.images_by_precision, { [precision()]: 4 }, "each image's precision is kept in its prompt's costs");
  const png = readFileSync(samplePath(out, 1, 1));

  const second = counting(strategyByName("none"));
  const b = await run(second.strategy);
  assert.equal(second.calls(), 0, "everything was on disk");
  assert.deepEqual(b.summary, a.summary);

  // a prompt folder made before the precision was kept still resumes, and is counted apart
  const costs = join(promptDir(out, 0), "costs.json");
  writeFileSync(costs, JSON.stringify(JSON.parse(readFileSync(costs, "utf8")).map(({ nfe, judgeCalls }: { nfe: number; judgeCalls: number }) => ({ nfe, judgeCalls }))));
  const older = counting(strategyByName("none"));
  const c = await run(older.strategy);
  assert.equal(older.calls(), 0);
  assert.deepEqual(c.summary.images_by_precision, { unrecorded: 2, [precision()]: 2 });

  rmSync(samplePath(out, 1, 1));
  const third = counting(strategyByName("none"));
  await run(third.strategy);
  assert.equal(third.calls(), 1, "only the prompt with a missing sample is redone");
  assert.deepEqual(readFileSync(samplePath(out, 1, 1)), png, "with the same seeds, the same image");
  assert.notEqual(sampleSeed(5, 0, 1), sampleSeed(5, 1, 0));
  assert.ok(!existsSync(join(promptDir(out, 0), "rejected.json")), "one path per image: nothing rejected");
  rmSync(out, { recursive: true });
});

test("an image's precision is the strategy's where it knows better (a replay's recording; null: not known), else the embedded generator's", async () => {
  const out = mkdtempSync(join(tmpdir(), "imagecot-suite-"));
  const none = strategyByName("none");
  const claiming = (p: "float32" | "bfloat16" | null): Strategy => ({ ...none, run: async (...a) => (await none.run(...a)).map((r) => ({ ...r, precision: p })) });
  const run = (s: Strategy, dir: string) => evaluateSuite({ suite, strategy: s, ctx: { generator: new EmbeddedStepGenerator({ generator, tokenizer }), n: 1, sample }, imagesPerPrompt: 1, seed: 5, out: join(out, dir) });
  assert.deepEqual((await run(claiming("bfloat16"), "b")).summary.images_by_precision, { bfloat16: 2 });
  assert.deepEqual((await run(claiming(null), "u")).summary.images_by_precision, { unrecorded: 2 });
  rmSync(out, { recursive: true });
});

test("a run on a subset of prompts scores only those, though the folder holds others", async () => {
  const out = mkdtempSync(join(tmpdir(), "imagecot-suite-"));
  const run = (prompts?: number[]) => evaluateSuite({ suite, strategy: strategyByName("none"), ctx: { generator: new EmbeddedStepGenerator({ generator, tokenizer }), n: 1, sample }, imagesPerPrompt: 1, seed: 5, out, prompts });
  await run(); // both prompts on disk
  const subset = await run([1]);
  assert.deepEqual(subset.rows.map((r) => r.prompt_index), [1]);
  assert.equal(subset.summary.images, 1);
  rmSync(out, { recursive: true });
});

/**
 * Clear at once; potential no, yes, no, yes by place in the batch (so PARM cuts paths 0 and 2
 * after step 0); outcome .3, .4, ... by place (so the last path asked wins).
 */
class ScriptedJudge implements Judge {
  readonly name = "scripted";
  async judge(requests: readonly JudgeRequest[]): Promise<Verdict[]> {
    return requests.map((r, k) => ({ pYes: r.question === "clarity" ? 0.9 : r.question === "potential" ? [0.2, 0.8][k % 2] : [0.3, 0.4, 0.5, 0.6][k] }));
  }
}

test("choosing strategies keep the rejected paths of each prompt's first image beside it, and they are never scored", async () => {
  const out = mkdtempSync(join(tmpdir(), "imagecot-suite-"));
  const run = (name: string, dir: string) =>
    evaluateSuite({ suite, strategy: strategyByName(name), ctx: { generator: new EmbeddedStepGenerator({ generator, tokenizer }), judge: new ScriptedJudge(), n: 4, sample }, imagesPerPrompt: 2, seed: 5, out: join(out, dir) });
  const parm = await run("parm", "parm");
  assert.equal(parm.summary.images, 4, "two chosen images a prompt are scored, nothing else");
  for (const p of [0, 1]) {
    const dir = promptDir(join(out, "parm"), p);
    const kept = readRejected(dir)!;
    assert.equal(kept.sample, 0);
    assert.equal(kept.chosen, 3, "survivors 1 and 3; outcome .3 and .4");
    const fates = kept.rejected.map((r) => ({ path: r.path, file: r.file, cutAfter: r.cutAfter, pYes: r.pYes }));
    assert.deepEqual(fates, [
      { path: 0, file: null, cutAfter: 0, pYes: 0.2 },
      { path: 1, file: join("samples", "0000-path01.png"), cutAfter: null, pYes: 0.3 },
      { path: 2, file: null, cutAfter: 0, pYes: 0.2 },
    ]);
    assert.equal(kept.rejected[0].detector, null, "a cut path has no image to score");
    assert.equal(typeof kept.rejected[1].detector?.correct, "boolean");
    assert.deepEqual(readdirSync(join(dir, "samples")).sort(), ["0000-path01.png", "0000.png", "0001.png"], "only the first image's paths are kept");
    const chosen = PNG.sync.read(readFileSync(samplePath(join(out, "parm"), p, 0)));
    const rejected = PNG.sync.read(readFileSync(join(dir, kept.rejected[1].file!)));
    assert.deepEqual([rejected.width, rejected.height], [chosen.width, chosen.height]);
    assert.ok(chosen.width > 0);
  }
  await run("best-of-n", "bon");
  const kept = readRejected(promptDir(join(out, "bon"), 0))!;
  assert.equal(kept.chosen, 3, "outcome .3, .4, .5, .6");
  assert.deepEqual(kept.rejected.map((r) => [r.path, r.cutAfter, r.pYes, r.file]), [0, 1, 2].map((k) => [k, null, [0.3, 0.4, 0.5][k], join("samples", `0000-path0${k}.png`)]));
  for (const r of kept.rejected) assert.ok(existsSync(join(promptDir(join(out, "bon"), 0), r.file!)));
  rmSync(out, { recursive: true });
});

test("an unknown strategy names the valid ones", () => {
  assert.throws(() => strategyByName("beam"), /unknown strategy 'beam' \(valid: none/);
});
