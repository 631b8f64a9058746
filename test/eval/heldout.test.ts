// The held-out figures: objects met, and the yes, object and per-class rates, on hand-made
// detections, and a run on a tiny model over held-out training prompts only.
import assert from "node:assert/strict";
import { test } from "node:test";
import { heldOutFigures, heldOutPrompts, heldOutYesRate, objectsMet } from "../../src/eval/heldout.js";
import { readMetadataFile } from "../../src/geneval/metadata.js";
import type { Detection, PromptMeta } from "../../src/geneval/types.js";
import { TEST_SUITE_FILE } from "../../src/shapes/train-prompts.js";
import { tinyPipeline } from "../fixtures/tiny.js";

const det = (cls: string, x: number, color: Detection["color"] = "red", confidence = 0.99): Detection => ({ class: cls, box: [x, 5, x + 8, 13], confidence, color });

test("objects found: include entries met in count, colour and place aside, under GenEval's thresholds", () => {
  const pair: PromptMeta = { tag: "counting", include: [{ class: "circle", count: 2 }, { class: "star", count: 1 }], exclude: [{ class: "circle", count: 3 }], prompt: "a photo of two circles and a star" };
  assert.deepEqual(objectsMet(pair, [det("circle", 0), det("circle", 20), det("star", 40, "blue")]), [true, true]);
  assert.deepEqual(objectsMet(pair, [det("circle", 0), det("star", 40)]), [false, true], "one circle of two");
  assert.deepEqual(objectsMet(pair, [det("circle", 0, "red", 0.5), det("circle", 20, "red", 0.5), det("star", 40)]), [false, true], "counting keeps only confident detections");
  const attr: PromptMeta = { tag: "color_attr", include: [{ class: "circle", count: 1, color: "red" }, { class: "star", count: 1, color: "blue" }], prompt: "a photo of a red circle and a blue star" };
  assert.deepEqual(objectsMet(attr, [det("circle", 0, "green"), det("star", 40, "green")]), [true, true], "colours wrong, objects there");
  assert.deepEqual(objectsMet(attr, [det("star", 40, "blue")]), [false, true], "the circle missing");
});

test("held-out figures of hand-made detections: yes rate, object rate per class named, each tag's yes rate", () => {
  const circle: PromptMeta = { tag: "single_object", include: [{ class: "circle", count: 1 }], prompt: "a photo of a circle" };
  const redStar: PromptMeta = { tag: "colors", include: [{ class: "star", count: 1, color: "red" }], prompt: "a photo of a red star" };
  const pair: PromptMeta = { tag: "two_object", include: [{ class: "circle", count: 1 }, { class: "star", count: 1 }], prompt: "a photo of a circle and a star" };
  const f = heldOutFigures([
    { meta: circle, detections: [det("circle", 0)] }, // right
    { meta: circle, detections: [] },
    { meta: redStar, detections: [det("star", 0, "blue")] }, // the star drawn, in the wrong colour
    { meta: pair, detections: [det("circle", 0)] }, // the star missing
  ]);
  assert.equal(f.images, 4);
  assert.equal(f.yes_rate, 1 / 4);
  // circles: asked 3 times (two single-object images, one pair), drawn 2; stars: asked 2, drawn 1
  assert.deepEqual(f.object_rate_by_class, { circle: { asked: 3, rate: 2 / 3 }, star: { asked: 2, rate: 1 / 2 } });
  assert.equal(f.object_rate, 3 / 5);
  assert.deepEqual(f.by_tag, { colors: { images: 1, yes_rate: 0 }, single_object: { images: 2, yes_rate: 0.5 }, two_object: { images: 1, yes_rate: 0 } });
});

test("held-out yes and object rates on a tiny model: held-out training prompts only, every image counted", async () => {
  const test = new Set(readMetadataFile(TEST_SUITE_FILE).map((m) => m.prompt));
  assert.ok(heldOutPrompts(0, 50).every((m) => !test.has(m.prompt)));
  const r = await heldOutYesRate(tinyPipeline(), { prompts: 6, images: 2, seed: 1, sample: { steps: 3, cfg: 1, temperature: 1, confidenceTemperature: 4.5 } });
  assert.equal(r.images, 12);
  assert.equal(r.split, "heldout");
  assert.equal(r.yes_rate, 0, "an untrained generator draws nothing the detector accepts");
  assert.ok(r.object_rate >= 0 && r.object_rate <= 1);
  // every include entry of every image counted once under its class, and the classes' rates make up the whole
  const asked = new Map<string, number>();
  for (const m of heldOutPrompts(1, 6)) for (const inc of m.include) asked.set(inc.class, (asked.get(inc.class) ?? 0) + 2);
  assert.deepEqual(Object.fromEntries(Object.entries(r.object_rate_by_class).map(([c, v]) => [c, v.asked])), Object.fromEntries([...asked].sort()));
  const byClass = Object.values(r.object_rate_by_class);
  assert.ok(Math.abs(byClass.reduce((n, c) => n + c.rate * c.asked, 0) / byClass.reduce((n, c) => n + c.asked, 0) - r.object_rate) < 1e-12);
  assert.equal(Object.values(r.by_tag).reduce((n, t) => n + t.images, 0), 12);
});
