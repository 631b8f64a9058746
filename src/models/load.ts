// Loading shipped weights: each file carries its model's config in its metadata.
import { existsSync } from "node:fs";
import { MaskedGenerator, type GeneratorConfig } from "../generator/model.js";
import type { Pipeline } from "../generator/pipeline.js";
import { VQAutoencoder, type VQConfig } from "../tokenizer/vq.js";
import type { Module } from "../torch/index.js";
import { loadWeights } from "../train/checkpoint.js";
import { DEFAULT_CORRECTOR_WEIGHTS, DEFAULT_GENERATOR_WEIGHTS, DEFAULT_TOKENIZER } from "./paths.js";

function load<C, M extends Module>(path: string, build: (c: C) => M): M {
  return loadWeights(path, build).model.eval();
}

export function loadVQ(path: string): VQAutoencoder {
  return load<VQConfig, VQAutoencoder>(path, (c) => new VQAutoencoder(c));
}

export function loadGenerator(path: string): MaskedGenerator {
  return load<GeneratorConfig, MaskedGenerator>(path, (c) => new MaskedGenerator(c));
}

/**
 * The shipped generator and tokenizer (or the given files), with a clear error when missing,
 * and the self-correction generator when there is one (a given path must exist).
 */
export function loadPipeline(generatorPath = DEFAULT_GENERATOR_WEIGHTS, tokenizerPath = DEFAULT_TOKENIZER, correctorPath?: string): Pipeline {
  for (const [what, p] of [["generator", generatorPath], ["tokenizer", tokenizerPath]])
    if (!existsSync(p)) throw new Error(`no ${what} weights at ${p} (train them with 'imagecot train ${what}')`);
  const tokenizer = loadVQ(tokenizerPath);
  const generator = loadGenerator(generatorPath);
  if (generator.config.codebookSize !== tokenizer.config.codebookSize || generator.config.imageTokens !== tokenizer.grid ** 2)
    throw new Error(`generator ${generatorPath} was trained with another tokenizer than ${tokenizerPath}`);
  if (correctorPath !== undefined && !existsSync(correctorPath)) throw new Error(`no self-correction generator weights at ${correctorPath}`);
  const sc = correctorPath ?? DEFAULT_CORRECTOR_WEIGHTS;
  return existsSync(sc) ? { generator, tokenizer, corrector: loadGenerator(sc) } : { generator, tokenizer };
}
