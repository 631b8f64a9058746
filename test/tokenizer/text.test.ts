// The text tokenizer covers every prompt of the world and names unknown words.
import assert from "node:assert/strict";
import { test } from "node:test";
import { readMetadataFile } from "../../src/geneval/metadata.js";
import { promptIds } from "../../src/generator/prompt.js";
import { TEST_SUITE_FILE, createTrainPromptSampler } from "../../src/shapes/train-prompts.js";
import { VOCAB, decodeText, encodeText, specialId, words } from "../../src/tokenizer/text.js";
import { mulberry32 } from "../../src/util/prng.js";

test("every test-suite and training prompt encodes and decodes back", () => {
  const suite = readMetadataFile(TEST_SUITE_FILE);
  const sampler = createTrainPromptSampler(suite);
  const rng = mulberry32(1);
  const prompts = [...suite.map((m) => m.prompt), ...Array.from({ length: 2000 }, () => sampler.sample(rng).prompt)];
  for (const p of prompts) {
    assert.equal(decodeText(encodeText(p)), p);
    assert.ok(promptIds(p, 16).length === 16);
  }
});

test("reasons in GenEval's style tokenize", () => {
  assert.deepEqual(words("expected circle>=2, found 1"), ["expected", "circle", ">=", "2", ",", "found", "1"]);
  assert.equal(decodeText(encodeText("expected red star>=1, found 0 red; and 1 blue")), "expected red star >= 1 , found 0 red ; and 1 blue");
});

test("an unknown word is an error naming it", () => {
  assert.throws(() => encodeText("a photo of a purple zebra"), /unknown word 'zebra'/);
  assert.throws(() => promptIds("a photo of a circle and a square and a star and a heart and a ring", 8), /has 17 words; the model reads at most 8/);
});

test("special tokens are distinct and the vocabulary has no duplicates", () => {
  assert.equal(new Set(VOCAB).size, VOCAB.length);
  assert.notEqual(specialId("[NULL]"), specialId("[PAD]"));
  assert.equal(promptIds(null, 4)[0], specialId("[NULL]"));
});
