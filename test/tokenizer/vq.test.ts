// The VQ autoencoder: shapes of codes and images, and a few training steps that reduce the loss.
import assert from "node:assert/strict";
import { test } from "node:test";
import { renderScene } from "../../src/shapes/render.js";
import { imagesToTensor, objectPixelWeight, tensorToImages } from "../../src/tokenizer/pixels.js";
import { VQAutoencoder } from "../../src/tokenizer/vq.js";
import { BackgroundCodes, flatPatchGrid } from "../../src/tokenizer/bench.js";
import { AdamW, manualSeed, tidy } from "../../src/torch/index.js";

const scene = (cx: number) => ({ size: 16, objects: [{ class: "circle" as const, color: "red" as const, cx, cy: 8, scale: 4 }] });

test("pixels round-trip through tensors exactly", () => {
  const imgs = [renderScene(scene(6)), renderScene(scene(10))];
  const back = tidy(() => tensorToImages(imagesToTensor(imgs)));
  assert.deepEqual(back.map((i) => Array.from(i.data)), imgs.map((i) => Array.from(i.data)));
  const w = tidy(() => objectPixelWeight(imgs, 5).toArray());
  assert.ok(w.includes(5) && w.includes(1));
});

test("encode gives a token grid, decode an image; training lowers the reconstruction loss", () => {
  manualSeed(2);
  const vq = new VQAutoencoder({ imageSize: 16, channels: [8, 16, 16], codes: 30, codeDim: 8, beta: 0.25 });
  assert.equal(vq.grid, 4);
  assert.equal(vq.codebookSize, 31);
  const imgs = [4, 6, 8, 10, 12].map((cx) => renderScene(scene(cx)));
  const x = imagesToTensor(imgs).keep();
  const tokens = vq.encode(x);
  assert.deepEqual(tokens.shape, [5, 4, 4]);
  assert.equal(tokens.dtype, "int64");
  assert.deepEqual(tidy(() => vq.decode(tokens).shape), [5, 3, 16, 16]);
  const opt = new AdamW(vq.namedParameters(), { lr: 3e-3, weightDecay: 0 });
  const step = () =>
    tidy(() => {
      const out = vq.forward(x);
      opt.zeroGrad();
      out.loss.backward();
      opt.step();
      return out.reconLoss.item();
    });
  const first = step();
  let last = first;
  for (let i = 0; i < 60; i++) last = step();
  assert.ok(last < first * 0.5, `reconstruction loss ${first} -> ${last}`);
  tokens.dispose();
  x.dispose();
  vq.dispose();
});

test("background measure: only tokens whose 3x3-patch neighbourhood is pure background count, with their entropy", () => {
  // 16x16 image, 4x4 grid of 4x4 patches; one red pixel in patch (0, 0)
  const img = renderScene({ size: 16, objects: [] });
  img.data.set([255, 0, 0], 0);
  const tokens = Array.from({ length: 16 }, (_, i) => i % 2); // codes 0 and 1 alternate
  const m = new BackgroundCodes();
  m.add(img, tokens, 4);
  // patches within one patch of (0,0) are excluded: (0,0),(0,1),(1,0),(1,1); 12 remain, 6 of each code
  assert.equal(m.tokens, 12);
  assert.equal(m.codes, 2);
  assert.ok(Math.abs(m.entropyNats - Math.log(2)) < 1e-12);
  assert.deepEqual(flatPatchGrid(img, 4).slice(0, 2), [false, true]);
});

test("flat background patches encode to the flat token, and decode as one learned vector", () => {
  manualSeed(3);
  const vq = new VQAutoencoder({ imageSize: 16, channels: [8, 8, 8], codes: 15, codeDim: 4, beta: 0.25 });
  const imgs = [renderScene(scene(4)), renderScene({ size: 16, objects: [] })];
  const tokens = tidy(() => vq.encode(imagesToTensor(imgs)).toArray());
  assert.deepEqual(tokens.slice(16), new Array(16).fill(vq.flatId)); // the empty image: all flat
  assert.ok(tokens.slice(0, 16).some((t) => t !== vq.flatId) && tokens.slice(0, 16).includes(vq.flatId));
  assert.ok(tokens.every((t) => t >= 0 && t < vq.codebookSize));
  // tokenize: each image's grid, flattened row-major, as encode gives it
  assert.deepEqual(vq.tokenize(imgs), [tokens.slice(0, 16), tokens.slice(16)]);
  assert.deepEqual(vq.tokenize([]), []);
  vq.dispose();
});
