// The token cache of generator training: the same rows whether built at once or resumed, the
// tokens the tokenizer gives for the same renders, steps drawn deterministically, and a cache
// of another tokenizer refused.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { promptIds } from "../../src/generator/prompt.js";
import { buildTokenCache, cacheBatch } from "../../src/generator/token-cache.js";
import { imagesToTensor } from "../../src/tokenizer/pixels.js";
import { VQAutoencoder } from "../../src/tokenizer/vq.js";
import { manualSeed, tidy } from "../../src/torch/index.js";
import { trainingBatch } from "../../src/train/data.js";

const dir = mkdtempSync(join(tmpdir(), "imagecot-cache-"));
after(() => rmSync(dir, { recursive: true, force: true }));
manualSeed(5);
const vq = new VQAutoencoder({ imageSize: 64, channels: [8, 8, 8, 8], codes: 15, codeDim: 4, beta: 0.25 }).eval();

test("a cache built in two runs equals one built at once, and holds the tokenizer's tokens of the training renders", () => {
  const whole = buildTokenCache(vq, { path: join(dir, "a.safetensors"), rows: 40, seed: 3, maxText: 16, chunk: 16, saveEvery: 1 });
  buildTokenCache(vq, { path: join(dir, "b.safetensors"), rows: 20, seed: 3, maxText: 16, chunk: 16, saveEvery: 1 });
  const resumed = buildTokenCache(vq, { path: join(dir, "b.safetensors"), rows: 40, seed: 3, maxText: 16, chunk: 16, saveEvery: 1 });
  assert.equal(resumed.rows, 40);
  assert.deepEqual(Array.from(resumed.tokens), Array.from(whole.tokens));
  assert.deepEqual(Array.from(resumed.text), Array.from(whole.text));
  // row 17 is sample 1 of chunk 1
  const { metas, images } = trainingBatch(3, 1, 16, 64);
  const tokens = tidy(() => vq.encode(imagesToTensor([images[1]])).toArray());
  assert.deepEqual(Array.from(whole.tokens.subarray(17 * 64, 18 * 64)), tokens);
  assert.deepEqual(Array.from(whole.text.subarray(17 * 16, 18 * 16)), promptIds(metas[1].prompt, 16));
  // reading it back gives the same rows
  const again = buildTokenCache(vq, { path: join(dir, "a.safetensors"), rows: 40, seed: 3, maxText: 16, chunk: 16 });
  assert.deepEqual(Array.from(again.tokens), Array.from(whole.tokens));
});

test("a step's rows are a pure function of (seed, step), with the prompt dropped at the CFG rate", () => {
  const c = buildTokenCache(vq, { path: join(dir, "a.safetensors"), rows: 40, seed: 3, maxText: 16, chunk: 16 });
  assert.deepEqual(cacheBatch(c, 1, 7, 8, 0.1), cacheBatch(c, 1, 7, 8, 0.1));
  assert.notDeepEqual(cacheBatch(c, 1, 7, 8, 0.1).tokens, cacheBatch(c, 1, 8, 8, 0.1).tokens);
  const nullRow = promptIds(null, 16);
  const rows = Array.from({ length: 50 }, (_, s) => cacheBatch(c, 1, s, 20, 0.25).text).flat();
  const dropped = rows.filter((r) => r.every((id, i) => id === nullRow[i])).length / rows.length;
  assert.ok(dropped > 0.2 && dropped < 0.3, `dropout rate ${dropped}`);
});

test("a cache made with another tokenizer or seed is refused with a clear error", () => {
  manualSeed(6);
  const other = new VQAutoencoder({ imageSize: 64, channels: [8, 8, 8, 8], codes: 15, codeDim: 4, beta: 0.25 }).eval();
  assert.throws(() => buildTokenCache(other, { path: join(dir, "a.safetensors"), rows: 40, seed: 3, maxText: 16, chunk: 16 }), /was made with tokenizer [0-9a-f]{16}.*delete it or give another --cache/);
  assert.throws(() => buildTokenCache(vq, { path: join(dir, "a.safetensors"), rows: 40, seed: 4, maxText: 16, chunk: 16 }), /seed 3/);
  other.dispose();
});

test("a cache made in chunks of another size is refused: its rows would not line up", () => {
  assert.throws(() => buildTokenCache(vq, { path: join(dir, "a.safetensors"), rows: 40, seed: 3, maxText: 16, chunk: 32 }), /chunk 16, class weights ''; this run has .*, 32, ''/);
});

test("a cache of class-weighted renders holds those renders, and is refused by a run of other weights", () => {
  const path = join(dir, "w.safetensors");
  const c = buildTokenCache(vq, { path, rows: 16, seed: 3, maxText: 16, chunk: 16, classWeights: { star: 4 } });
  const { metas } = trainingBatch(3, 0, 16, 64, { star: 4 });
  assert.deepEqual(Array.from(c.text), metas.flatMap((m) => promptIds(m.prompt, 16)));
  assert.notDeepEqual(metas.map((m) => m.prompt), trainingBatch(3, 0, 16, 64).metas.map((m) => m.prompt), "the weights change the prompts");
  assert.throws(() => buildTokenCache(vq, { path, rows: 16, seed: 3, maxText: 16, chunk: 16 }), /class weights '\{"star":4\}'; this run has .*, ''/);
  assert.throws(() => buildTokenCache(vq, { path: join(dir, "a.safetensors"), rows: 40, seed: 3, maxText: 16, chunk: 16, classWeights: { star: 4 } }), /class weights ''; this run has .*'\{"star":4\}'/);
});
