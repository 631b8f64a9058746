// The detector's yes rate of a generator on held-out training prompts: prompt strings of the
// training templates that no training loop ever sees (shapes/train-prompts.ts, split "heldout"),
// and never a test prompt. Model sizes, training length and hyper-parameters are chosen on it.
import { conditioning, decodeTokens, pathSeed, type Pipeline } from "../generator/pipeline.js";
import { DEFAULT_MAX_ROWS, DEFAULT_SAMPLE, PathBatch, type SampleOptions, StepBatcher } from "../generator/sampler.js";
import { readMetadataFile } from "../geneval/metadata.js";
import { evaluateImage } from "../geneval/rules.js";
import type { PromptMeta } from "../geneval/types.js";
import { detect } from "../shapes/detector.js";
import { TEST_SUITE_FILE, createTrainPromptSampler } from "../shapes/train-prompts.js";
import { mulberry32 } from "../util/prng.js";

export interface HeldOutOptions {
  prompts: number;
  images: number; // per prompt
  seed: number; // of the prompt draw and the paths
  sample?: SampleOptions;
  maxRows?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface HeldOutResult {
  prompts: number;
  images: number;
  yes_rate: number;
  by_tag: Record<string, { images: number; yes_rate: number }>;
}

/** `count` held-out training prompts, drawn (with repeats) by a stream fixed by `seed`. */
export function heldOutPrompts(seed: number, count: number): PromptMeta[] {
  const sampler = createTrainPromptSampler(readMetadataFile(TEST_SUITE_FILE), "heldout");
  const rng = mulberry32(seed);
  return Array.from({ length: count }, () => sampler.sample(rng));
}

export async function heldOutYesRate(p: Pipeline, o: HeldOutOptions): Promise<HeldOutResult> {
  const sample = o.sample ?? DEFAULT_SAMPLE;
  const metas = heldOutPrompts(o.seed, o.prompts);
  const batcher = new StepBatcher(o.maxRows ?? DEFAULT_MAX_ROWS);
  const perPass = Math.max(1, Math.floor(batcher.maxRows / (o.images * (sample.cfg === 0 ? 1 : 2))));
  const tags = new Map<string, { images: number; yes: number }>();
  let yes = 0;
  for (let i = 0; i < metas.length; i += perPass) {
    const chunk = metas.slice(i, i + perPass);
    // every prompt of the chunk in one batch of paths, each with its own conditioning and streams
    const batch = new PathBatch(p.generator, conditioning(p.generator, chunk[0].prompt), sample, batcher);
    chunk.forEach((m, k) => {
      const cond = conditioning(p.generator, m.prompt);
      for (let j = 0; j < o.images; j++) batch.start(k * o.images + j, pathSeed(o.seed * 1_000_003 + i + k, j), cond);
    });
    while (!batch.done()) await batch.step();
    const images = decodeTokens(p.tokenizer, batch.live().map((id) => batch.tokens(id)));
    batch.live().forEach((id, n) => {
      const meta = chunk[Math.floor(id / o.images)];
      const ok = evaluateImage(meta, detect(images[n])).correct;
      const t = tags.get(meta.tag) ?? { images: 0, yes: 0 };
      tags.set(meta.tag, { images: t.images + 1, yes: t.yes + (ok ? 1 : 0) });
      if (ok) yes++;
    });
    o.onProgress?.(Math.min(i + perPass, metas.length), metas.length);
  }
  const total = metas.length * o.images;
  return {
    prompts: metas.length,
    images: total,
    yes_rate: yes / total,
    by_tag: Object.fromEntries([...tags].sort().map(([tag, t]) => [tag, { images: t.images, yes_rate: t.yes / t.images }])),
  };
}
