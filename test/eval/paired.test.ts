// Paired comparisons: hand-checked scores, degenerate intervals, and the pairing of samples.
import assert from "node:assert/strict";
import { test } from "node:test";
import { pairedComparison } from "../../src/eval/paired.js";
import type { Tag } from "../../src/geneval/types.js";

const tags: Tag[] = ["single_object", "single_object", "counting", "counting"];

test("scores are GenEval's mean of per-tag accuracies; error removed is (score - base) / (1 - base)", () => {
  // base: single 2/4, counting 1/4 -> overall 0.375; run: single 4/4, counting 2/4 -> 0.75
  const base = { tags, imagesPerPrompt: 2, correct: "1010" + "1000" };
  const run = { tags, imagesPerPrompt: 2, correct: "1111" + "1010" };
  const c = pairedComparison(base, run, 500);
  assert.equal(c.base, 0.375);
  assert.equal(c.score, 0.75);
  assert.equal(c.diff, 0.375);
  assert.equal(c.error_removed, 0.375 / 0.625);
  assert.ok(c.diff_ci95[0] <= c.diff && c.diff <= c.diff_ci95[1]);
  assert.ok(c.diff_ci95[0] > 0, "every resample improves: the run is never worse on any prompt");
});

test("a run equal to its baseline has a zero difference with a zero-width interval", () => {
  const base = { tags, imagesPerPrompt: 1, correct: "1010" };
  const c = pairedComparison(base, { ...base }, 200);
  assert.deepEqual([c.diff, ...c.diff_ci95], [0, 0, 0]);
});

test("a run with fewer images per prompt is paired with the baseline's first samples", () => {
  const base = { tags, imagesPerPrompt: 2, correct: "10" + "01" + "10" + "01" };
  const run = { tags, imagesPerPrompt: 1, correct: "1" + "0" + "1" + "0" };
  assert.equal(pairedComparison(base, run, 100).diff, 0);
  assert.throws(() => pairedComparison(base, { ...run, tags: tags.slice(1) }), /different prompts/);
});

test("a run on every k-th prompt is paired with the baseline's same prompts", async () => {
  const { outcomes } = await import("../../src/eval/table.js");
  const { readMetadataFile } = await import("../../src/geneval/metadata.js");
  const { TEST_SUITE_FILE } = await import("../../src/shapes/train-prompts.js");
  const suite = readMetadataFile(TEST_SUITE_FILE);
  const settings = { strategy: "none", judge: null, n: 20, images_per_prompt: 1, suite: TEST_SUITE_FILE };
  const bits = suite.map((_, p) => String(p % 3 === 0 ? 1 : 0)).join("");
  const base = { overall: 0, by_tag: {} as never, images: suite.length, nfe_per_image: 36, judge_calls_per_image: 0, per_image_correct: bits, settings };
  const picked = outcomes(base, 4);
  assert.equal(picked.tags.length, Math.ceil(suite.length / 4));
  assert.deepEqual(picked.tags, suite.filter((_, p) => p % 4 === 0).map((m) => m.tag));
  assert.equal(picked.correct, suite.flatMap((_, p) => (p % 4 === 0 ? [String(p % 3 === 0 ? 1 : 0)] : [])).join(""));
  const run = { ...base, per_image_correct: picked.correct, settings: { ...settings, every: 4 } };
  assert.deepEqual(outcomes(run), picked);
  assert.throws(() => outcomes(run, 6), /every 4-th prompt with one on every 6-th/);
});

test("the default draws are pinned: a change to the bootstrap's draws changes every committed interval", () => {
  // figures of the code that made results/ (before the bootstrap moved to src/util/bootstrap.ts)
  const tags12 = Array.from({ length: 12 }, (_, i): Tag => (["single_object", "counting", "position"] as const)[i % 3]);
  const c = pairedComparison({ tags: tags12, imagesPerPrompt: 2, correct: "101100100111010010110001" }, { tags: tags12, imagesPerPrompt: 2, correct: "111101100111110110111011" });
  assert.deepEqual([c.base, c.score, c.resamples], [0.5, 0.75, 2000]);
  const near = (x: number, y: number) => assert.ok(Math.abs(x - y) < 1e-12, `${x} against ${y}`);
  [0.09722222222222221, 0.4027777777777777].forEach((y, i) => near(c.diff_ci95[i], y));
  [0.2500000000000002, 0.7179487179487178].forEach((y, i) => near(c.error_removed_ci95[i], y));
});
