// Running a strategy over a suite: GenEval layout, costs, and resuming without redoing work.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { evaluateSuite, sampleSeed } from "../../src/eval/run-suite.js";
import { samplePath } from "../../src/geneval/layout.js";
import type { PromptMeta } from "../../src/geneval/types.js";
import { strategyByName, type Strategy } from "../../src/strategies/index.js";
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
  const run = (s: Strategy) => evaluateSuite({ suite, strategy: s, ctx: { pipeline: { generator, tokenizer }, n: 4, sample }, imagesPerPrompt: 2, seed: 5, out });
  const first = counting(strategyByName("none"));
  const a = await run(first.strategy);
  assert.equal(first.calls(), 2);
  assert.equal(a.summary.images, 4);
  assert.equal(a.summary.nfe_per_image, 2 * 3, "one path, 3 steps, two CFG halves");
  assert.equal(a.summary.judge_calls_per_image, 0);
  const png = readFileSync(samplePath(out, 1, 1));

  const second = counting(strategyByName("none"));
  const b = await run(second.strategy);
  assert.equal(second.calls(), 0, "everything was on disk");
  assert.deepEqual(b.summary, a.summary);

  rmSync(samplePath(out, 1, 1));
  const third = counting(strategyByName("none"));
  await run(third.strategy);
  assert.equal(third.calls(), 1, "only the prompt with a missing sample is redone");
  assert.deepEqual(readFileSync(samplePath(out, 1, 1)), png, "with the same seeds, the same image");
  assert.notEqual(sampleSeed(5, 0, 1), sampleSeed(5, 1, 0));
  rmSync(out, { recursive: true });
});

test("a run on a subset of prompts scores only those, though the folder holds others", async () => {
  const out = mkdtempSync(join(tmpdir(), "imagecot-suite-"));
  const run = (prompts?: number[]) => evaluateSuite({ suite, strategy: strategyByName("none"), ctx: { pipeline: { generator, tokenizer }, n: 1, sample }, imagesPerPrompt: 1, seed: 5, out, prompts });
  await run(); // both prompts on disk
  const subset = await run([1]);
  assert.deepEqual(subset.rows.map((r) => r.prompt_index), [1]);
  assert.equal(subset.summary.images, 1);
  rmSync(out, { recursive: true });
});

test("an unknown strategy names the valid ones", () => {
  assert.throws(() => strategyByName("beam"), /unknown strategy 'beam' \(valid: none/);
});
