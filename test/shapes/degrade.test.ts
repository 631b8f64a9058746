import assert from "node:assert/strict";
import { test } from "node:test";
import { mulberry32 } from "../../src/util/prng.js";
import { DEGRADATIONS, gaussianBlur, jpegLike } from "../../src/shapes/degrade.js";
import { renderScene } from "../../src/shapes/render.js";

const img = renderScene({ size: 64, objects: [{ class: "square", color: "yellow", cx: 31.3, cy: 32.6, scale: 12 }] });

test("degradations are seeded, keep the size, change the image and leave the input alone", () => {
  const before = img.data.slice();
  for (const [name, degrade] of Object.entries(DEGRADATIONS)) {
    const a = degrade(img, mulberry32(1)), b = degrade(img, mulberry32(1));
    assert.deepEqual(a, b, name);
    assert.equal(a.data.length, img.data.length, name);
    assert.notDeepEqual(a.data, img.data, name);
  }
  assert.deepEqual(img.data, before);
});

test("blur spreads a sharp edge over several pixels; JPEG-like keeps flat areas", () => {
  const row = (d: Uint8Array) => Array.from({ length: 64 }, (_, x) => d[(32 * 64 + x) * 3 + 2]);
  const sharp = row(img.data).filter((v) => v > 40 && v < 118).length;
  const soft = row(gaussianBlur(img, 1).data).filter((v) => v > 40 && v < 118).length;
  assert.ok(soft >= sharp + 4, `blurred edge pixels ${soft}, sharp ${sharp}`);
  const j = jpegLike(img, 50);
  assert.ok(Math.abs(j.data[(2 * 64 + 2) * 3] - 128) <= 3, "background far from the edge stays grey");
});
