// The reason a judge gives for "no", from its heads' probabilities: the most likely reading when
// it fails the prompt, else the reading with the cheapest requirement failed (hand-made numbers).
import assert from "node:assert/strict";
import { test } from "node:test";
import { explainNo, mostLikelyReading } from "../../src/judges/explain.js";
import { UNSPECIFIED_REASON, parsePrompt } from "../../src/geneval/observe.js";

/** P(colour): `main` on colour index `at`, `second` on `next`, the rest spread evenly over the eleven classes. */
function colours(at: number, main: number, next = -1, second = 0): number[] {
  const rest = (1 - main - second) / (11 - (next >= 0 ? 2 : 1));
  return Array.from({ length: 11 }, (_, c) => (c === at ? main : c === next ? second : rest));
}
const RED = 0;
const BLUE = 4;
const none = [0.25, 0.25, 0.25, 0.25];

test("a failing most likely reading is its own reason", () => {
  const meta = parsePrompt("a photo of two circles");
  assert.equal(explainNo(meta, { counts: [[0.1, 0.6, 0.3, 0, 0, 0]], colors: [colours(RED, 0.9)], relations: none }), "expected two circles , found one");
});

test("a passing reading: the cheapest count to fail (found one at 0.30, not three at 0.05)", () => {
  const meta = parsePrompt("a photo of two circles");
  // log(.6/.3) = 0.69 to read one, log(.6/.05) = 2.5 to read three (the exclude), log(.6/.05) for zero
  assert.equal(explainNo(meta, { counts: [[0.05, 0.3, 0.6, 0.05, 0, 0]], colors: [colours(RED, 0.9)], relations: none }), "expected two circles , found one");
});

test("a passing reading: a colour cheaper to fail than the count (log .55/.40 < log .90/.08)", () => {
  const meta = parsePrompt("a photo of a red circle");
  const counts = [[0.08, 0.9, 0.02, 0, 0, 0]];
  assert.equal(explainNo(meta, { counts, colors: [colours(RED, 0.55, BLUE, 0.4)], relations: none }), "expected a red circle , found a blue circle");
  assert.equal(explainNo(meta, { counts, colors: [colours(RED, 0.95)], relations: none }), "expected a red circle , found zero", "a sure colour: the count fails instead");
});

test("a passing reading: the relation when it is the least sure requirement", () => {
  const meta = parsePrompt("a photo of a circle left of a star");
  const counts = [[0.01, 0.98, 0.01, 0, 0, 0], [0.01, 0.98, 0.01, 0, 0, 0]];
  const colors = [colours(RED, 0.5), colours(RED, 0.5)];
  assert.equal(explainNo(meta, { counts, colors, relations: [0.6, 0.1, 0.7, 0.1] }), "the circle is above the star , not left of");
  assert.equal(explainNo(meta, { counts, colors, relations: [0.6, 0.1, 0.2, 0.1] }), "the circle is not left of the star");
});

test("nothing that can fail: the generic reason", () => {
  const meta = parsePrompt("a photo of a circle");
  assert.equal(explainNo(meta, { counts: [[0, 1, 0, 0, 0, 0]], colors: [colours(RED, 0.9)], relations: none }), UNSPECIFIED_REASON);
});

test("the most likely reading: each head at its argmax, in mention order, the relation only when both are seen", () => {
  const meta = parsePrompt("a photo of a circle left of a star");
  const counts = [[0.01, 0.98, 0.01, 0, 0, 0], [0.1, 0.2, 0.7, 0, 0, 0]];
  const colors = [colours(RED, 0.5), colours(BLUE, 0.6)];
  assert.deepEqual(mostLikelyReading(meta, { counts, colors, relations: [0.6, 0.1, 0.7, 0.1] }), { counts: [1, 2], colors: [RED, BLUE], relations: [true, false, true, false] });
  assert.equal(mostLikelyReading(meta, { counts: [counts[0], [0.9, 0.1, 0, 0, 0, 0]], colors, relations: none }).relations, null, "the star unseen");
  assert.equal(mostLikelyReading(parsePrompt("a photo of two circles"), { counts: [counts[1]], colors: [colors[0]], relations: none }).relations, null, "one object");
});
