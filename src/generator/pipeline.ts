// Prompt in, images out: the generator and its tokenizer together, N paths decoded as one batch.
import type { RGBImage } from "../shapes/image.js";
import { tensorToImages } from "../tokenizer/pixels.js";
import type { VQAutoencoder } from "../tokenizer/vq.js";
import { noGrad, tensor, tidy } from "../torch/index.js";
import type { MaskedGenerator } from "./model.js";
import { promptIds, reasonIds } from "./prompt.js";
import { type Conditioning, DEFAULT_SAMPLE, PathBatch, type SampleOptions, type StepResult, type StepRunner } from "./sampler.js";

export interface Pipeline {
  generator: MaskedGenerator;
  tokenizer: VQAutoencoder;
  /** the generator fine-tuned for self-correction (PARM++ regenerations); absent: the generator itself */
  corrector?: MaskedGenerator;
  /** shares forward passes between the paths of concurrent generations (other prompts and images) */
  batcher?: StepRunner;
}

/** The seed of path i of a generation seeded with `seed`: every path has its own stream. */
export function pathSeed(seed: number, path: number): number {
  return seed * 1009 + path;
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

export interface GenerateOptions extends SampleOptions {
  n: number; // paths
  seed: number;
  /** Called after every step with that step's results; images() decodes the predictions on demand. */
  onStep?: (results: StepResult[], images: () => RGBImage[]) => void;
}

export interface GeneratedPath {
  id: number;
  seed: number;
  tokens: Int32Array;
  image: RGBImage;
}

/** Decodes n full paths for one prompt (the `none` strategy runs this with n = 1). */
export async function generate(p: Pipeline, prompt: string, o: GenerateOptions): Promise<{ paths: GeneratedPath[]; nfe: number }> {
  const batch = new PathBatch(p.generator, conditioning(p.generator, prompt), { ...DEFAULT_SAMPLE, ...o }, p.batcher);
  for (let i = 0; i < o.n; i++) batch.start(i, pathSeed(o.seed, i));
  while (!batch.done()) {
    const results = await batch.step();
    o.onStep?.(results, () => decodeTokens(p.tokenizer, results.map((r) => r.prediction)));
  }
  const ids = batch.live();
  const images = decodeTokens(p.tokenizer, ids.map((id) => batch.tokens(id)));
  return {
    paths: ids.map((id, i) => ({ id, seed: pathSeed(o.seed, id), tokens: batch.tokens(id), image: images[i] })),
    nfe: batch.nfe,
  };
}
