// The judges' ranking loss, calibration error and per-path clarity labels on hand-computed numbers.
import assert from "node:assert/strict";
import { test } from "node:test";
import { expectedCalibrationError } from "../../src/judges/calibration.js";
import { clearFrom, readingKey } from "../../src/judges/clarity.js";
import { pairwiseAccuracy, pairwiseRankingLoss, rankingPairs } from "../../src/judges/ranking.js";
import type { PromptMeta } from "../../src/geneval/types.js";
import { tensor, tidy } from "../../src/torch/index.js";

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);
const softplus = (x: number) => Math.log(1 + Math.exp(x));
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

test("ranking pairs: every (right, wrong) pair within a group, none across groups", () => {
  // group 0: right 0, wrong 1 and 2; group 1: right 4, wrong 3; group 2: only right (no pair)
  const p = rankingPairs([0, 0, 0, 1, 1, 2], [true, false, false, false, true, true]);
  assert.deepEqual(p, { right: [0, 0, 4], wrong: [1, 2, 3] });
});

test("Bradley-Terry ranking loss: hand-computed value and gradient", () =>
  tidy(() => {
    // pairs (0 over 1): margin 2 - 0 = 2; (3 over 2): margin -1 - 1 = -2
    const logits = tensor([2, 0, 1, -1], [4], "float64").setRequiresGrad(true);
    const loss = pairwiseRankingLoss(logits, [0, 0, 1, 1], [true, false, false, true])!;
    close(loss.item(), (softplus(-2) + softplus(2)) / 2);
    close(loss.item(), 1.1269280110);
    loss.backward();
    const g = logits.grad!.toArray();
    // d/d s_right = -sigmoid(-margin) / P, d/d s_wrong = +sigmoid(-margin) / P, P = 2 pairs
    close(g[0], -sigmoid(-2) / 2);
    close(g[1], sigmoid(-2) / 2);
    close(g[3], -sigmoid(2) / 2);
    close(g[2], sigmoid(2) / 2);
  }));

test("ranking loss: null when no group holds both labels; equal logits give log 2", () =>
  tidy(() => {
    assert.equal(pairwiseRankingLoss(tensor([1, 2], [2]), [0, 1], [true, false]), null);
    close(pairwiseRankingLoss(tensor([0.3, 0.3, 0.3], [3]), [5, 5, 5], [false, true, false])!.item(), Math.LN2);
    assert.throws(() => pairwiseRankingLoss(tensor([1, 2], [2]), [0], [true]), /must agree/);
  }));

test("pairwise accuracy: ties count half", () => {
  // pairs (0,1) won, (0,2) tied, (4,3) lost
  const a = pairwiseAccuracy([0.9, 0.1, 0.9, 0.8, 0.2, 0.5], [0, 0, 0, 1, 1, 2], [true, false, false, false, true, true])!;
  assert.equal(a.pairs, 3);
  close(a.accuracy, 1.5 / 3);
  assert.equal(pairwiseAccuracy([0.5], [0], [true]), null);
});

test("pairwise accuracy: its interval resamples whole groups", () => {
  // group 0 wins its one pair, group 1 loses its one: a resample holds 0, 1 or 2 copies of group
  // 0 (a quarter of draws each end), so the interval spans 0 to 1
  const split = pairwiseAccuracy([0.9, 0.1, 0.1, 0.9], [0, 0, 1, 1], [true, false, true, false])!;
  close(split.accuracy, 0.5);
  assert.deepEqual(split.ci95, [0, 1]);
  // one group of 2 right x 3 wrong paths, 5 of its 6 pairs won (0.8 < 0.85): every resample is
  // that group, so the interval is a point
  const one = pairwiseAccuracy([0.9, 0.8, 0.5, 0.1, 0.85], [0, 0, 0, 0, 0], [true, true, false, false, false])!;
  assert.equal(one.pairs, 6);
  close(one.accuracy, 5 / 6);
  assert.deepEqual(one.ci95, [one.accuracy, one.accuracy]);
  // pairs weigh as pairs: one group of 4 x 4 paths (16 pairs, all won) beside nine groups of one
  // lost pair is 16/25 = .64; a resample's share weighs each group by its pairs (averaging the
  // groups' shares would make it 1/10 and put the interval's top near .3, below the point)
  const scores = [...[0.9, 0.9, 0.9, 0.9, 0.1, 0.1, 0.1, 0.1], ...Array.from({ length: 9 }, () => [0.1, 0.9]).flat()];
  const groups = [...Array(8).fill(0), ...Array.from({ length: 9 }, (_, g) => [g + 1, g + 1]).flat()];
  const yes = [...[true, true, true, true, false, false, false, false], ...Array.from({ length: 9 }, () => [true, false]).flat()];
  const weighed = pairwiseAccuracy(scores, groups, yes)!;
  assert.equal(weighed.pairs, 25);
  close(weighed.accuracy, 16 / 25);
  const [lo, hi] = weighed.ci95;
  assert.ok(lo <= weighed.accuracy && weighed.accuracy <= hi && hi > 0.8, `[${lo}, ${hi}] around .64`);
});

test("expected calibration error: bin gaps weighted by the bins' shares", () => {
  // four answers in bins 0, 1, 8, 9: gaps .05, .85, .15, .05, each a quarter of the answers
  const c = expectedCalibrationError([0.05, 0.15, 0.85, 0.95], [false, true, true, true]);
  close(c.ece, 0.275);
  assert.equal(c.bins.length, 10);
  assert.deepEqual(c.bins.map((b) => b.count), [1, 1, 0, 0, 0, 0, 0, 0, 1, 1]);
  // perfectly calibrated: two at 0.5, one yes one no; P = 1 lands in the last bin
  close(expectedCalibrationError([0.5, 0.5], [true, false]).ece, 0);
  close(expectedCalibrationError([1, 1], [true, true]).ece, 0);
  assert.throws(() => expectedCalibrationError([0.5], [true, false]), /2 labels/);
});

test("per-path clarity: the first step from which every reading is the final's", () => {
  assert.equal(clearFrom(["a", "b", "c", "c"]), 2);
  assert.equal(clearFrom(["c", "b", "c", "c"]), 2); // an early match that does not last is not clear
  assert.equal(clearFrom(["c", "c", "c"]), 0);
  assert.equal(clearFrom(["a", "b"]), 1); // only the final reads like the final
  assert.throws(() => clearFrom([]), /no steps/);
});

test("per-path clarity: readings follow what the detector sees, not the step", () => {
  const meta: PromptMeta = { tag: "counting", include: [{ class: "circle", count: 2 }], exclude: [{ class: "circle", count: 3 }], prompt: "a photo of two circles" };
  const circle = (x: number) => ({ class: "circle", box: [x, 10, x + 10, 20] as [number, number, number, number], confidence: 0.99, color: "red" as const });
  const one = readingKey(meta, [circle(5)]);
  const two = readingKey(meta, [circle(5), circle(30)]);
  const twoElsewhere = readingKey(meta, [circle(40), circle(2)]);
  assert.notEqual(one, two);
  assert.equal(two, twoElsewhere); // the same verdict and observation, wherever the circles are
  assert.equal(clearFrom([one, two, one, two, two]), 3);
});
