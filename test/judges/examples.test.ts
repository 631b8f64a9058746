// The fine-tuned judges' label builders on tiny hand-made paths: per-path clarity, potential at
// a path's own clear step, Math-Shepherd process labels, ranking groups; and a clarity answer
// that follows the image, not the step.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { CollectedPath, CollectedPrompt } from "../../src/judges/collect.js";
import { cleanExamples, mixedPrompts, pathExample, rankingGroup } from "../../src/judges/examples.js";
import { EmbeddedJudge } from "../../src/judges/embedded.js";
import { JudgeNet, type JudgeNetConfig } from "../../src/judges/model.js";
import type { RGBImage } from "../../src/shapes/image.js";
import type { PromptMeta } from "../../src/geneval/types.js";
import { VOCAB } from "../../src/tokenizer/text.js";
import { manualSeed } from "../../src/torch/index.js";
import { mulberry32 } from "../../src/util/prng.js";

const T = 6;
/** A path whose prediction after step t is the grid [t, t, ...] tagged with the path id, so an example names its step and path. */
function path(id: number, correct: boolean, clear: number, rollout: { step: number; correct: boolean[] } | null = { step: 2, correct: [false, false, false] }): CollectedPath {
  return { path: id, seed: id, predictions: Array.from({ length: T }, (_, t) => [t, id]), correct, detections: [], rollout, clearFrom: clear };
}
const meta: PromptMeta = { tag: "counting", include: [{ class: "circle", count: 2 }], exclude: [{ class: "circle", count: 3 }], prompt: "a photo of two circles" };
const stepOf = (image: RGBImage | number[]) => (image as number[])[0];
const pathOf = (image: RGBImage | number[]) => (image as number[])[1];

test("clarity labels follow each path's own clear step, and the clarity question carries no step", () => {
  const data: CollectedPrompt[] = [{ meta, paths: [path(0, true, 1), path(1, false, 4)] }];
  const rng = mulberry32(3);
  const mix = { outcome: 0, process: 0, clarity: 1, potential: 0 };
  for (let i = 0; i < 200; i++) {
    const e = pathExample(data, rng, { steps: T, mix });
    const s = stepOf(e.image);
    assert.ok(s < T - 1, "clarity is asked of intermediate images");
    assert.equal(e.yes, s >= (pathOf(e.image) === 0 ? 1 : 4));
    assert.equal(e.step, undefined);
  }
});

test("potential is asked around the path's first clear step and labelled by its final; process by Math-Shepherd", () => {
  const data: CollectedPrompt[] = [{ meta, paths: [path(0, true, 3), path(1, false, 5, { step: 1, correct: [false, true, false] }), path(2, false, 0, { step: 2, correct: [false, false, false] })] }];
  const rng = mulberry32(5);
  for (let i = 0; i < 200; i++) {
    const e = pathExample(data, rng, { steps: T, mix: { outcome: 0, process: 0, clarity: 0, potential: 1 } });
    const [s, id] = [stepOf(e.image), pathOf(e.image)];
    const clear = [3, 5, 0][id];
    assert.ok(s >= Math.max(0, clear - 1) && s <= Math.min(T - 2, clear + 1), `path ${id}: step ${s} for clear step ${clear}`);
    assert.equal(e.step, s);
    assert.equal(e.yes, id === 0);
    const p = pathExample(data, rng, { steps: T, mix: { outcome: 0, process: 1, clarity: 0, potential: 0 } });
    // path 0 ends right; path 1 has a rollout that does; path 2 has neither
    assert.equal(p.yes, pathOf(p.image) !== 2);
    assert.equal(stepOf(p.image), [2, 1, 2][pathOf(p.image)]);
  }
});

test("the process question is asked only of paths with rollouts; other questions of every path", () => {
  const data: CollectedPrompt[] = [
    { meta, paths: [path(0, true, 1, null), path(1, false, 2, { step: 3, correct: [true, false, false] })] },
    { meta, paths: [path(2, false, 2, null)] },
  ];
  const rng = mulberry32(9);
  const asked = (mix: Record<"outcome" | "process" | "clarity" | "potential", number>) => new Set(Array.from({ length: 200 }, () => pathOf(pathExample(data, rng, { steps: T, mix }).image)));
  assert.deepEqual([...asked({ outcome: 0, process: 1, clarity: 0, potential: 0 })], [1]);
  assert.deepEqual([...asked({ outcome: 1, process: 0, clarity: 0, potential: 0 })].sort(), [0, 1, 2]);
  const none: CollectedPrompt[] = [{ meta, paths: [path(0, true, 1, null)] }];
  assert.throws(() => pathExample(none, mulberry32(1), { steps: T, mix: { outcome: 0, process: 1, clarity: 0, potential: 0 } }), /no collected path has rollouts/);
});

test("ranking groups: one mixed prompt's paths, right and wrong balanced, one group id", () => {
  const mixed = mixedPrompts([
    { meta, paths: [path(0, false, 2), path(1, false, 2)] }, // all wrong: teaches no order
    { meta, paths: [path(0, true, 2), path(1, false, 2), path(2, false, 3), path(3, false, 1), path(4, true, 2), path(5, false, 2)] },
  ]);
  assert.equal(mixed.length, 1);
  const g = rankingGroup(mixed, mulberry32(1), "outcome", 4, T, 7);
  assert.equal(g.length, 4);
  assert.deepEqual(g.map((e) => e.yes).sort(), [false, false, true, true]);
  assert.ok(g.every((e) => e.group === 7 && e.question === "outcome" && stepOf(e.image) === T - 1));
  assert.equal(new Set(g.map((e) => pathOf(e.image))).size, 4, "distinct paths");
  const all = rankingGroup(mixed, mulberry32(2), "potential", 6, T, 0);
  assert.equal(all.filter((e) => e.yes).length, 2, "a group never holds more right paths than there are");
  assert.equal(all.length, 6);
});

test("the clarity answer moves with the image, not the step", async () => {
  manualSeed(0);
  const config: JudgeNetConfig = { textVocab: VOCAB.length, maxText: 16, imageSize: 64, channels: [8, 8, 16], dModel: 16, layers: 1, heads: 2, questions: 4, stepBuckets: 19 };
  const judge = new EmbeddedJudge("fine-tuned", new JudgeNet(config).eval(), false);
  const [a, b] = cleanExamples(9, 0, 2, 64).map((e) => e.image as RGBImage);
  const ask = (image: RGBImage, step: number) => ({ question: "clarity" as const, prompt: meta.prompt, image, step, steps: 18 });
  // a path's images shuffled across steps: the answers are the images' answers
  const [a3, b3, a12, b12] = (await judge.judge([ask(a, 3), ask(b, 3), ask(a, 12), ask(b, 12)])).map((v) => v.pYes);
  assert.ok(Math.abs(a3 - a12) < 1e-6 && Math.abs(b3 - b12) < 1e-6, "the same image gets the same answer at any step");
  assert.ok(Math.abs(a3 - b3) > 1e-6, "another image gets another answer");
  // the potential question does read the step
  const [p3, p12] = (await judge.judge([{ ...ask(a, 3), question: "potential" }, { ...ask(a, 12), question: "potential" }])).map((v) => v.pYes);
  assert.ok(Math.abs(p3 - p12) > 1e-6);
});
