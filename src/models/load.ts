// Loading shipped weights: each file carries its model's config in its metadata.
import { existsSync } from "node:fs";
import { MaskedGenerator, type GeneratorConfig } from "../generator/model.js";
import type { Pipeline } from "../generator/pipeline.js";
import { VQAutoencoder, type VQConfig } from "../tokenizer/vq.js";
import { type Module, dispose } from "../torch/index.js";
import { readWeightsConfig } from "../train/checkpoint.js";
import { DEFAULT_GENERATOR_WEIGHTS, DEFAULT_TOKENIZER } from "./paths.js";

function load<C, M extends Module>(path: string, build: (c: C) => M): M {
  const { config, tensors } = readWeightsConfig<C>(path);
  try {
    const model = build(config);
    model.loadStateDict(tensors);
    return model.eval();
  } finally {
    dispose([...tensors.values()]);
  }
}

export function loadVQ(path: string): VQAutoencoder {
  return load<VQConfig, VQAutoencoder>(path, (c) => new VQAutoencoder(c));
}

export function loadGenerator(path: string): MaskedGenerator {
  return load<GeneratorConfig, MaskedGenerator>(path, (c) => new MaskedGenerator(c));
}

/** The shipped generator and tokenizer (or the given files), with a clear error when missing. */
export function loadPipeline(generatorPath = DEFAULT_GENERATOR_WEIGHTS, tokenizerPath = DEFAULT_TOKENIZER): Pipeline {
  for (const [what, p] of [["generator", generatorPath], ["tokenizer", tokenizerPath]])
    if (!existsSync(p)) throw new Error(`no ${what} weights at ${p} (train them with 'imagecot train ${what}')`);
  const tokenizer = loadVQ(tokenizerPath);
  const generator = loadGenerator(generatorPath);
  if (generator.config.codebookSize !== tokenizer.config.codebookSize || generator.config.imageTokens !== tokenizer.grid ** 2)
    throw new Error(`generator ${generatorPath} was trained with another tokenizer than ${tokenizerPath}`);
  return { generator, tokenizer };
}
