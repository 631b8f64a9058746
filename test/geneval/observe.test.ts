// Reflection material: prompt parsing, observations from detections, reasons in GenEval's style.
import assert from "node:assert/strict";
import { test } from "node:test";
import { readMetadataFile } from "../../src/geneval/metadata.js";
import { evaluateImage } from "../../src/geneval/rules.js";
import type { Detection, PromptMeta } from "../../src/geneval/types.js";
import { describeMismatch, observe, parsePrompt } from "../../src/geneval/observe.js";
import { nearMissKinds, sampleNearMiss, sampleScene, sceneDetections, sceneRng } from "../../src/shapes/scene.js";
import { TEST_SUITE_FILE, createTrainPromptSampler } from "../../src/shapes/train-prompts.js";
import { encodeText } from "../../src/tokenizer/text.js";
import { mulberry32 } from "../../src/util/prng.js";

const suite = readMetadataFile(TEST_SUITE_FILE);
const sampler = createTrainPromptSampler(suite);
const training = (() => {
  const rng = mulberry32(3);
  return Array.from({ length: 400 }, () => sampler.sample(rng));
})();

test("parsePrompt recovers the metadata of every test prompt and of training prompts", () => {
  for (const meta of [...suite, ...training]) assert.deepEqual(parsePrompt(meta.prompt), meta, meta.prompt);
});

test("parsePrompt rejects prompts outside the templates", () => {
  assert.throws(() => parsePrompt("two circles"), /does not start with "a photo of"/);
  assert.throws(() => parsePrompt("a photo of some circles"), /cannot read "some circles"/);
  assert.throws(() => parsePrompt("a photo of a circle and a star and a ring"), /more than two objects/);
});

const det = (cls: string, box: [number, number, number, number], color: Detection["color"] = "red", confidence = 1): Detection => ({ class: cls, box, color, confidence });

test("reasons name the count, colour and relation that differ", () => {
  const two = parsePrompt("a photo of two circles");
  const three = [det("circle", [0, 0, 8, 8]), det("circle", [20, 0, 28, 8]), det("circle", [40, 0, 48, 8])];
  assert.equal(describeMismatch(two, observe(two, three)), "expected two circles , found three");
  assert.equal(describeMismatch(two, observe(two, three.slice(0, 1))), "expected two circles , found one");
  assert.equal(describeMismatch(two, observe(two, three.slice(0, 2))), null);

  const red = parsePrompt("a photo of a red star");
  assert.equal(describeMismatch(red, observe(red, [det("star", [0, 0, 9, 9], "blue")])), "expected a red star , found a blue star");
  assert.equal(describeMismatch(red, observe(red, [])), "expected a red star , found zero");
  assert.equal(describeMismatch(red, { counts: [1], colors: [10], relations: null }), "expected a red star , found a star", "a colour not seen is not the one asked");

  const pos = parsePrompt("a photo of a star below a square");
  const starAbove = [det("square", [20, 40, 30, 50]), det("star", [20, 0, 30, 10])];
  assert.equal(describeMismatch(pos, observe(pos, starAbove)), "the star is above the square , not below");
  const starBelow = [det("square", [20, 0, 30, 10]), det("star", [20, 40, 30, 50])];
  assert.equal(describeMismatch(pos, observe(pos, starBelow)), null);

  const attr = parsePrompt("a photo of a red circle and a blue ring");
  const obs = observe(attr, [det("circle", [0, 0, 9, 9], "red"), det("ring", [30, 0, 39, 9], "green")]);
  assert.equal(describeMismatch(attr, obs), "expected a blue ring , found a green ring");
});

test("an observation of a true scene agrees with GenEval's verdict, and every reason is in the generator's vocabulary", () => {
  let checked = 0;
  training.slice(0, 150).forEach((meta: PromptMeta, i) => {
    const rng = sceneRng(5, i, 0);
    const kinds = nearMissKinds(meta);
    for (const scene of [sampleScene(meta, rng), sampleNearMiss(meta, kinds[i % kinds.length], rng).scene]) {
      const d = sceneDetections(scene);
      const reason = describeMismatch(meta, observe(meta, d));
      // the observation keeps one colour per object and one relation per pair; GenEval checks all, so a "no" may go unexplained, never the reverse
      if (evaluateImage(meta, d).correct) assert.equal(reason, null, meta.prompt);
      if (reason) {
        assert.doesNotThrow(() => encodeText(reason));
        checked++;
      }
    }
  });
  assert.ok(checked > 100, `only ${checked} near misses were explained`);
});
