import assert from "node:assert/strict";
import { test } from "node:test";
import { readMetadataFile } from "../../src/geneval/metadata.js";
import { evaluateImage } from "../../src/geneval/rules.js";
import { COLORS, type PromptMeta } from "../../src/geneval/types.js";
import { detect } from "../../src/shapes/detector.js";
import { objectBox, renderScene } from "../../src/shapes/render.js";
import { nearMissKinds, sampleNearMiss, sampleScene, sceneDetections, sceneRng, type NearMissKind } from "../../src/shapes/scene.js";
import { TEST_SUITE_FILE } from "../../src/shapes/train-prompts.js";
import { SHAPE_CLASSES } from "../../src/shapes/world.js";

const suite = readMetadataFile(TEST_SUITE_FILE, { classes: SHAPE_CLASSES });

/** Which requirement a GenEval reason says failed. */
function reasonKind(reason: string): "count" | "color" | "position" {
  if (/^expected \S+ (left of|right of|above|below) target/.test(reason)) return "position";
  if (new RegExp(`^expected (${COLORS.join("|")}) \\S+>=\\d+, found`).test(reason)) return "color";
  // a missing target shows as "no target for ..." on the object placed relative to it
  assert.match(reason, /^expected \S+(>=|<)\d+, found \d+$|^no target for /);
  return "count";
}

// a wrong class or a missing object leaves an include short: a count reason
const EXPECTED_REASON: Record<NearMissKind, "count" | "color" | "position"> = { count: "count", color: "color", position: "position", class: "count", missing: "count" };

test("sampled scenes satisfy every prompt of the test suite, inside the image and without overlaps", () => {
  suite.forEach((meta, p) => {
    for (let s = 0; s < 2; s++) {
      const scene = sampleScene(meta, sceneRng(7, p, s));
      const verdict = evaluateImage(meta, sceneDetections(scene));
      assert.ok(verdict.correct, `${meta.prompt}: ${verdict.reasons}`);
      const boxes = scene.objects.map(objectBox);
      for (const [i, b] of boxes.entries()) {
        assert.ok(b[0] >= 0 && b[1] >= 0 && b[2] <= 64 && b[3] <= 64, `${meta.prompt}: box ${b} outside the image`);
        for (const c of boxes.slice(0, i)) assert.ok(b[2] <= c[0] || c[2] <= b[0] || b[3] <= c[1] || c[3] <= b[1], `${meta.prompt}: boxes ${b} and ${c} overlap`);
      }
      const want = meta.include.reduce((n, inc) => n + inc.count, 0);
      assert.equal(scene.objects.length, want, meta.prompt);
    }
  });
});

test("the same seed gives the same scene; another seed another", () => {
  const meta = suite.find((m) => m.tag === "position") as PromptMeta;
  assert.deepEqual(sampleScene(meta, sceneRng(1, 2, 3)), sampleScene(meta, sceneRng(1, 2, 3)));
  assert.notDeepEqual(sampleScene(meta, sceneRng(1, 2, 3)), sampleScene(meta, sceneRng(1, 2, 4)));
});

test("near misses fail the rules for the requirement they break, on the true objects and through the detector", () => {
  const seen = new Set<NearMissKind>();
  suite.forEach((meta, p) => {
    if (p % 3 !== 0) return;
    for (const kind of nearMissKinds(meta)) {
      const miss = sampleNearMiss(meta, kind, sceneRng(11, p, kind.length));
      assert.equal(miss.kind, kind);
      assert.ok(miss.breaks.length > 0);
      for (const dets of [sceneDetections(miss.scene), detect(renderScene(miss.scene))]) {
        const verdict = evaluateImage(meta, dets);
        assert.ok(!verdict.correct, `${meta.prompt} / ${kind} (${miss.breaks}) passed`);
        assert.ok(verdict.reasons.map(reasonKind).includes(EXPECTED_REASON[kind]), `${meta.prompt} / ${kind}: ${verdict.reasons}`);
      }
      seen.add(kind);
    }
  });
  assert.deepEqual([...seen].sort(), ["class", "color", "count", "missing", "position"]);
});

test("a near miss of a kind the prompt cannot break is refused", () => {
  const single = suite.find((m) => m.tag === "single_object") as PromptMeta;
  assert.deepEqual(nearMissKinds(single), ["class", "missing"]);
  assert.throws(() => sampleNearMiss(single, "position", sceneRng(0, 0, 0)), /cannot break/);
});

test("a class outside the world is named in the error", () => {
  const meta: PromptMeta = { tag: "single_object", include: [{ class: "zebra", count: 1 }], prompt: "a photo of a zebra" };
  assert.throws(() => sampleScene(meta, sceneRng(0, 0, 0)), /'zebra' is not a class of this world \(valid: circle, /);
});
