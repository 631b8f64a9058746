// The embedded models together: the generator, its tokenizer, the self-correction fine-tune and
// the batcher that shares forward passes; the prompt's conditioning and decoding of token grids.
import type { RGBImage } from "../shapes/image.js";
import { tensorToImages } from "../tokenizer/pixels.js";
import type { VQAutoencoder } from "../tokenizer/vq.js";
import { noGrad, tensor, tidy } from "../torch/index.js";
import type { MaskedGenerator } from "./model.js";
import { promptIds, readsReason, reasonIds } from "./prompt.js";
import type { Conditioning, StepRunner } from "./sampler.js";
import { pathSeed } from "./step-generator.js";

export interface Pipeline {
  generator: MaskedGenerator;
  tokenizer: VQAutoencoder;
  /** the generator fine-tuned for self-correction with reasons (PARM++ regenerations); see correctorFor */
  corrector?: MaskedGenerator;
  /** the same fine-tune trained without reasons (PARM++'s no-reason ablation); see correctorFor */
  correctorNoReason?: MaskedGenerator;
  /** shares forward passes between the paths of concurrent generations (other prompts and images) */
  batcher?: StepRunner;
}

// the seeds of paths belong to the step protocol: every generator derives them alike
export { pathSeed };

/**
 * The model a regeneration runs on, the one place that decides it. A correction with a reason
 * runs on the self-correction generator trained with reasons. One without a reason the
 * generator can read (parm++-no-reason's, or a judge's with no word it knows) runs on the one
 * trained without reasons; when that is not loaded it falls back as before the ablation had a
 * model of its own: on the one trained with reasons (given an empty reason, as a share of its
 * training rows were). Without either, on the base generator.
 */
export function correctorFor(p: Pipeline, reason: string): MaskedGenerator {
  const withReason = p.corrector ?? p.generator;
  return readsReason(reason) ? withReason : (p.correctorNoReason ?? withReason);
}

/** The prompt's conditioning; with a reason and a previous attempt's tokens for self-correction. */
export function conditioning(generator: MaskedGenerator, prompt: string, correction?: { reason: string; previous: Int32Array }): Conditioning {
  const n = generator.config.maxText;
  const cond: Conditioning = { text: Int32Array.from(promptIds(prompt, n)), nullText: Int32Array.from(promptIds(null, n)) };
  if (!correction) return cond;
  return { ...cond, reason: Int32Array.from(reasonIds(correction.reason, generator.config.maxReason)), previous: correction.previous };
}

/** Token grids (imageTokens each, no mask left) to images. */
export function decodeTokens(tokenizer: VQAutoencoder, grids: Int32Array[]): RGBImage[] {
  if (grids.length === 0) return [];
  const g = tokenizer.grid;
  return noGrad(() => tidy(() => tensorToImages(tokenizer.decode(tensor(concatGrids(grids), [grids.length, g, g], "int64")))));
}

function concatGrids(grids: Int32Array[]): Int32Array {
  const out = new Int32Array(grids.length * grids[0].length);
  grids.forEach((a, i) => out.set(a, i * a.length));
  return out;
}
