// Every model that reads or writes tokens records its tokenizer; pairing it with another is a clear error at load.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { loadPipeline } from "../../src/models/load.js";
import { VQAutoencoder } from "../../src/tokenizer/vq.js";
import { manualSeed } from "../../src/torch/index.js";
import { saveWeights } from "../../src/train/checkpoint.js";
import { VQ_CONFIG, saveTiny } from "../align/tiny.js";

test("a generator loads with the tokenizer it was trained with, and refuses another one", () => {
  const dir = mkdtempSync(join(tmpdir(), "imagecot-tokmodel-"));
  const tiny = saveTiny(dir);
  const ok = loadPipeline(tiny.generator, tiny.tokenizer);
  assert.equal(ok.generator.config.codebookSize, ok.tokenizer.codebookSize);
  manualSeed(99); // same shapes, other weights: only the recorded id can tell them apart
  const other = new VQAutoencoder(VQ_CONFIG);
  const otherPath = join(dir, "other-tokenizer.safetensors");
  saveWeights(otherPath, other, VQ_CONFIG);
  assert.throws(() => loadPipeline(tiny.generator, otherPath), /was trained with tokenizer [0-9a-f]{16}, not with .*other-tokenizer/);
});
