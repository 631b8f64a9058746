// The VQ autoencoder: shapes of codes and images, and a few training steps that reduce the loss.
import assert from "node:assert/strict";
import { test } from "node:test";
import { renderScene } from "../../src/shapes/render.js";
import { imagesToTensor, objectPixelWeight, tensorToImages } from "../../src/tokenizer/pixels.js";
import { VQAutoencoder } from "../../src/tokenizer/vq.js";
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
  const vq = new VQAutoencoder({ imageSize: 16, channels: [8, 16, 16], codebookSize: 32, codeDim: 8, beta: 0.25 });
  assert.equal(vq.grid, 4);
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
