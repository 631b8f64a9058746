import assert from "node:assert/strict";
import { test } from "node:test";
import { readMetadataFile } from "../../src/geneval/metadata.js";
import { benchDetector } from "../../src/shapes/detector-bench.js";
import { DEGRADATIONS } from "../../src/shapes/degrade.js";
import { TEST_SUITE_FILE } from "../../src/shapes/train-prompts.js";

test("the detector benchmark measures all three gates on a slice of the suite, and they hold", () => {
  const suite = readMetadataFile(TEST_SUITE_FILE).filter((_, i) => i % 16 === 0);
  const r = benchDetector({ suite, images: suite.length, degradedImages: suite.length, nearMissesPerKind: 1, seed: 5 });
  assert.equal(r.clean.images, suite.length);
  assert.deepEqual(Object.keys(r.degraded.by_degradation), Object.keys(DEGRADATIONS));
  assert.ok(r.near_miss.images >= 2 * suite.length, `near misses: ${r.near_miss.images}`);
  assert.deepEqual(r.gates, { clean: true, near_miss: true, degraded: true }, JSON.stringify(r, null, 1));
});
