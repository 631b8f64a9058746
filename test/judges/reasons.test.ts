// The reasons check: a reflecting judge's reason against the detector's, counted word for word.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Detection, PromptMeta } from "../../src/geneval/types.js";
import type { Judge } from "../../src/judges/judge.js";
import { CLAUSE_SEPARATOR } from "../../src/geneval/observe.js";
import { detectorReason, reasonAgreement, soundReason } from "../../src/judges/reasons.js";
import { createImage } from "../../src/shapes/image.js";

const two: PromptMeta = { tag: "counting", include: [{ class: "circle", count: 2 }], exclude: [{ class: "circle", count: 3 }], prompt: "a photo of two circles" };
const red: PromptMeta = { tag: "colors", include: [{ class: "star", count: 1, color: "red" }], prompt: "a photo of a red star" };
const det = (cls: string, color: Detection["color"], x = 5): Detection => ({ class: cls, box: [x, 5, x + 10, 15], confidence: 0.99, color });

test("the detector's reason names what GenEval's rules find wrong", () => {
  assert.equal(detectorReason(two, [det("circle", "red")]), "expected two circles , found one");
  assert.equal(detectorReason(red, [det("star", "blue")]), "expected a red star , found a blue star");
});

test("a sound reason names only true failures, maybe not all of them", () => {
  const both = "expected two crosses , found one ; expected two hearts , found three";
  assert.equal(soundReason("expected two crosses , found one", both), true, "one of two true clauses");
  assert.equal(soundReason(both, both), true);
  assert.equal(soundReason("expected two crosses , found one ; expected two hearts , found one", both), false, "a false clause");
  assert.equal(soundReason("expected two hearts , found three", "expected two crosses , found one"), false);
  assert.equal(soundReason(null, both), false, "no reason given");
});

test("a judge naming one of two true failures is sound but not word for word", async () => {
  const both: PromptMeta = { tag: "two_object", include: [{ class: "circle", count: 1 }, { class: "star", count: 1 }], prompt: "a photo of a circle and a star" };
  const truth = detectorReason(both, []);
  assert.equal(truth.split(CLAUSE_SEPARATOR).length, 2, "both objects missing: two clauses");
  const judge: Judge = { name: "stub", judge: async () => [], reflect: async () => ({ pYes: 0.1, reason: truth.split(CLAUSE_SEPARATOR)[0] }) };
  const r = await reasonAgreement(judge, [{ meta: both, image: createImage(8, 8), detections: [] }]);
  assert.equal(r.agreement, 0);
  assert.deepEqual(r.sound, { agreement: 1, by_tag: { two_object: 1 } });
});

test("agreement counts reasons equal word for word, per tag, and keeps disagreements to read", async () => {
  const said = new Map([
    ["a photo of two circles", "expected two circles , found one"],
    ["a photo of a red star", "expected a red star , found a green star"],
  ]);
  const judge: Judge = { name: "stub", judge: async () => [], reflect: async (prompt) => ({ pYes: 0.2, reason: said.get(prompt)! }) };
  const image = createImage(8, 8);
  const r = await reasonAgreement(judge, [
    { meta: two, image, detections: [det("circle", "red")] },
    { meta: two, image, detections: [det("circle", "red"), det("circle", "red", 30), det("circle", "red", 45)] }, // three: the judge said one
    { meta: red, image, detections: [det("star", "blue")] },
  ]);
  assert.equal(r.finals, 3);
  assert.equal(r.agreement, 1 / 3);
  assert.equal(r.said_no, 1);
  assert.deepEqual(r.by_tag, { colors: { finals: 1, agreement: 0 }, counting: { finals: 2, agreement: 0.5 } });
  assert.deepEqual(r.examples[0], { prompt: "a photo of two circles", judge: "expected two circles , found one", detector: "expected two circles , found three" });
  assert.deepEqual(r.sound, { agreement: 1 / 3, by_tag: { colors: 0, counting: 0.5 } }, "the one-circle reason is sound; 'one' for three and 'green' for blue are not");
  assert.equal(r.count_readings, undefined, "no reading given: no count figures");

  // the judge's own reading: one circle every time, one star
  const read = (items: readonly unknown[]) => items.map(() => ({ counts: [1], colors: [0], relations: null }));
  const withReads = await reasonAgreement(judge, [
    { meta: two, image, detections: [det("circle", "red")] },
    { meta: two, image, detections: [det("circle", "red"), det("circle", "red", 30), det("circle", "red", 45)] },
    { meta: red, image, detections: [det("star", "blue")] },
  ], { read });
  assert.deepEqual(withReads.count_readings, { agreement: 2 / 3, by_tag: { colors: 1, counting: 0.5 } }, "counts as the detector's on the one-circle image and the star");
  await assert.rejects(reasonAgreement({ name: "plain", judge: async () => [] }, [{ meta: two, image, detections: [] }]), /does not reflect/);
});
