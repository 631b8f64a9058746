// Loading shipped weights: each file carries its model's config in its metadata.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { MaskedGenerator, type GeneratorConfig } from "../generator/model.js";
import { StepBatcher } from "../generator/sampler.js";
import type { Pipeline } from "../generator/pipeline.js";
import { VQAutoencoder, type VQConfig } from "../tokenizer/vq.js";
import { tokenizerId } from "../tokenizer/id.js";
import type { Module } from "../torch/index.js";
import { loadWeights } from "../train/checkpoint.js";
import { DEFAULT_CORRECTOR_NO_REASON_WEIGHTS, DEFAULT_CORRECTOR_WEIGHTS, DEFAULT_GENERATOR_WEIGHTS, DEFAULT_TOKENIZER } from "./paths.js";

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
 * and the self-correction generators when there are: the one trained with reasons and the one
 * trained without (a given path must exist; the shipped ones only with the shipped tokenizer). Which one a regeneration runs on: correctorFor.
 */
export function loadPipeline(generatorPath = DEFAULT_GENERATOR_WEIGHTS, tokenizerPath = DEFAULT_TOKENIZER, correctorPath?: string, correctorNoReasonPath?: string): Pipeline {
  for (const [what, p] of [["generator", generatorPath], ["tokenizer", tokenizerPath]])
    if (!existsSync(p)) throw new Error(`no ${what} weights at ${p} (train them with 'imagecot train ${what}')`);
  for (const p of [correctorPath, correctorNoReasonPath]) if (p !== undefined && !existsSync(p)) throw new Error(`no self-correction generator weights at ${p}`);
  const tokenizer = loadVQ(tokenizerPath);
  const generator = loadTokenModel(generatorPath, tokenizer, tokenizerPath);
  // the shipped self-correction generators read the shipped tokenizer's codes: with another
  // tokenizer only given ones are loaded (a pipeline of tiny test models, say)
  const shippedTokenizer = resolve(tokenizerPath) === resolve(DEFAULT_TOKENIZER);
  const sc = correctorPath ?? (shippedTokenizer ? DEFAULT_CORRECTOR_WEIGHTS : undefined);
  const scNoReason = correctorNoReasonPath ?? (shippedTokenizer ? DEFAULT_CORRECTOR_NO_REASON_WEIGHTS : undefined);
  // one batcher per pipeline: concurrent generations (a suite's prompts, the server's requests) share forward passes
  const batcher = new StepBatcher();
  return {
    generator,
    tokenizer,
    batcher,
    ...(sc && existsSync(sc) ? { corrector: loadTokenModel(sc, tokenizer, tokenizerPath, trainedReasons(true)) } : {}),
    ...(scNoReason && existsSync(scNoReason) ? { correctorNoReason: loadTokenModel(scNoReason, tokenizer, tokenizerPath, trainedReasons(false)) } : {}),
  };
}

/**
 * A self-correction generator must have been trained as its place says: with reasons (any
 * source, or unrecorded: trained before the source was recorded), or without (recorded).
 */
function trainedReasons(withReasons: boolean): (metadata: Record<string, string>) => string | null {
  return (m) => {
    const none = m.reasons === "none";
    if (withReasons === !none) return null;
    return withReasons
      ? "was trained without reasons (train self-correct --reasons none): it is the no-reason ablation's model, not the one PARM++ gives reasons to"
      : `records ${m.reasons === undefined ? "no reasons source" : `${m.reasons} reasons`}: the no-reason ablation's model is trained with 'train self-correct --reasons none'`;
  };
}

/** Frees a pipeline's models, the self-correction generators included. */
export function disposePipeline(p: Pipeline): void {
  p.generator.dispose();
  p.corrector?.dispose();
  p.correctorNoReason?.dispose();
  p.tokenizer.dispose();
}

/**
 * Loads a generator that must read and write the given tokenizer's codes: a mismatch is an
 * error, never garbage. `check` says what else is wrong with the file from its metadata, if anything.
 */
export function loadTokenModel(path: string, tokenizer: VQAutoencoder, tokenizerPath: string, check?: (metadata: Record<string, string>) => string | null): MaskedGenerator {
  const { model, metadata } = loadWeights<GeneratorConfig, MaskedGenerator>(path, (c) => new MaskedGenerator(c));
  const generator = model.eval();
  const id = tokenizerId(tokenizer);
  if (generator.config.tokenizer !== id) {
    const was = generator.config.tokenizer ? `tokenizer ${generator.config.tokenizer}` : "an unrecorded tokenizer";
    generator.dispose();
    throw new Error(`generator ${path} was trained with ${was}, not with ${tokenizerPath} (${id}); retrain it or use its own tokenizer`);
  }
  const wrong = check?.(metadata);
  if (wrong) {
    generator.dispose();
    throw new Error(`generator ${path} ${wrong}`);
  }
  return generator;
}

/**
 * The pipeline with another generator (a DPO round's, say) in place of its own, sharing its
 * tokenizer and self-correction generators, with a batcher of its own; dispose only its generator.
 */
export function withGenerator(p: Pipeline, generatorPath: string, tokenizerPath: string): Pipeline {
  return { ...p, generator: loadTokenModel(generatorPath, p.tokenizer, tokenizerPath), batcher: new StepBatcher() };
}
