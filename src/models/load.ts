// Loading shipped weights: each file carries its model's config in its metadata.
import { existsSync } from "node:fs";
import { MaskedGenerator, type GeneratorConfig } from "../generator/model.js";
import { StepBatcher } from "../generator/sampler.js";
import type { Pipeline } from "../generator/pipeline.js";
import { VQAutoencoder, type VQConfig } from "../tokenizer/vq.js";
import { tokenizerId } from "../tokenizer/id.js";
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
  const generator = loadTokenModel(generatorPath, tokenizer, tokenizerPath);
  if (correctorPath !== undefined && !existsSync(correctorPath)) throw new Error(`no self-correction generator weights at ${correctorPath}`);
  const sc = correctorPath ?? DEFAULT_CORRECTOR_WEIGHTS;
  // one batcher per pipeline: concurrent generations (a suite's prompts, the server's requests) share forward passes
  const batcher = new StepBatcher();
  return existsSync(sc) ? { generator, tokenizer, batcher, corrector: loadTokenModel(sc, tokenizer, tokenizerPath) } : { generator, tokenizer, batcher };
}

/** Frees a pipeline's models, the self-correction generator included. */
export function disposePipeline(p: Pipeline): void {
  p.generator.dispose();
  p.corrector?.dispose();
  p.tokenizer.dispose();
}

/** Loads a generator that must read and write the given tokenizer's codes: a mismatch is an error, never garbage. */
export function loadTokenModel(path: string, tokenizer: VQAutoencoder, tokenizerPath: string): MaskedGenerator {
  const generator = loadGenerator(path);
  const id = tokenizerId(tokenizer);
  if (generator.config.tokenizer !== id) {
    const was = generator.config.tokenizer ? `tokenizer ${generator.config.tokenizer}` : "an unrecorded tokenizer";
    generator.dispose();
    throw new Error(`generator ${path} was trained with ${was}, not with ${tokenizerPath} (${id}); retrain it or use its own tokenizer`);
  }
  return generator;
}
