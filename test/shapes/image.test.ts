import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { PNG } from "pngjs";
import { createImage, decodePng, encodePng, readPng, writePng } from "../../src/shapes/image.js";

function noiseImage(w: number, h: number): ReturnType<typeof createImage> {
  const img = createImage(w, h);
  for (let i = 0; i < img.data.length; i++) img.data[i] = (i * 37 + (i >> 5) * 11) & 255;
  return img;
}

test("PNG round trip keeps every byte, in memory and on disk", () => {
  const img = noiseImage(7, 5);
  assert.deepEqual(decodePng(encodePng(img)), img);
  const dir = mkdtempSync(join(tmpdir(), "imagecot-png-"));
  try {
    const path = join(dir, "sub", "a.png");
    writePng(path, img);
    assert.deepEqual(readPng(path), img);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an RGBA PNG decodes to its RGB channels", () => {
  const png = new PNG({ width: 2, height: 1 });
  png.data = Buffer.from([10, 20, 30, 255, 40, 50, 60, 128]);
  const img = decodePng(PNG.sync.write(png));
  assert.deepEqual([img.width, img.height, ...img.data], [2, 1, 10, 20, 30, 40, 50, 60]);
});
