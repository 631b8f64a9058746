import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { formatMetadataJsonl } from "../../src/geneval/metadata.js";
import { scoreFolder, summarizeRows } from "../../src/geneval/score.js";
import { generateSuite } from "../../src/geneval/suite.js";
import { detect } from "../../src/shapes/detector.js";
import { renderSuite } from "../../src/shapes/ground-truth.js";
import { readPng } from "../../src/shapes/image.js";
import { TEST_SUITE_FILE } from "../../src/shapes/train-prompts.js";
import { SHAPE_CLASSES } from "../../src/shapes/world.js";
import { readMetadataFile } from "../../src/geneval/metadata.js";

test("the committed test suite is GenEval's procedure over the world's classes, seed 1", () => {
  // made by: imagecot geneval suite --classes circle,square,triangle,star,cross,ring,heart,diamond --seed 1 --out suites/geneval-shapes.jsonl
  assert.equal(readFileSync(TEST_SUITE_FILE, "utf8"), formatMetadataJsonl(generateSuite(SHAPE_CLASSES, { seed: 1 })));
});

test("ground truth rendered in GenEval's layout scores 1.0 through eval's detector and rules", () => {
  const suite = readMetadataFile(TEST_SUITE_FILE);
  // two prompts of each tag
  const picked = suite.filter((m, i) => suite.findIndex((n) => n.tag === m.tag) + 1 >= i && suite.findIndex((n) => n.tag === m.tag) <= i);
  assert.equal(picked.length, 12);
  const dir = mkdtempSync(join(tmpdir(), "imagecot-gt-"));
  try {
    assert.equal(renderSuite(picked, dir, { imagesPerPrompt: 2, seed: 3 }), 24);
    const rows = scoreFolder(dir, (path) => detect(readPng(path)));
    assert.equal(rows.length, 24);
    assert.equal(rows[23].filename, join("00011", "samples", "0001.png"));
    const summary = summarizeRows(rows);
    assert.equal(summary.overall, 1, JSON.stringify(rows.filter((r) => !r.correct)));
    assert.deepEqual(Object.keys(summary.by_tag).sort(), ["color_attr", "colors", "counting", "position", "single_object", "two_object"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
