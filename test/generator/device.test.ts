// The generator runs where its weights are: moved to a CUDA device, its logits match the CPU's.
import assert from "node:assert/strict";
import { test } from "node:test";
import { cudaAvailable, full, noGrad, randint, tidy } from "../../src/torch/index.js";
import { tinyPipeline } from "../fixtures/tiny.js";

test("a generator moved to a CUDA device gives the CPU's logits", { skip: !cudaAvailable() && "this libtorch has no CUDA device" }, () => {
  const { generator, tokenizer } = tinyPipeline();
  const c = generator.config;
  noGrad(() =>
    tidy(() => {
      const text = randint(1, c.textVocab, [4, c.maxText]);
      const image = full([4, c.imageTokens], c.codebookSize, "int64");
      const cpu = generator.forward({ text, image });
      generator.to("cuda");
      const dev = generator.forward({ text: text.toDevice("cuda"), image: image.toDevice("cuda") });
      assert.deepEqual(dev.shape, cpu.shape);
      assert.ok(dev.toDevice("cpu").sub(cpu).abs().amax([0, 1, 2]).item() < 1e-4);
    }),
  );
  generator.dispose();
  tokenizer.dispose();
});
