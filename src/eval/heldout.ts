// The detector's yes rate of a generator on held-out training prompts: prompt strings of the
// training templates that no training loop ever sees (shapes/train-prompts.ts, split "heldout"),
// and never a test prompt. Model sizes, training length and hyper-parameters are chosen on it,
// and on the masked-token loss of renders of those prompts, which still ranks models while
// their yes rate on these hard, compositional prompts is near 0. The "train" split gives the
// yes rate on trained prompt strings, for comparison.
import { conditioning, decodeTokens, pathSeed, type Pipeline } from "../generator/pipeline.js";
import { DEFAULT_MAX_ROWS, DEFAULT_SAMPLE, PathBatch, type SampleOptions, StepBatcher, cfgHalves } from "../generator/sampler.js";
import { readMetadataFile } from "../geneval/metadata.js";
import { evaluateImage, keptDetections } from "../geneval/rules.js";
import type { Detection, PromptMeta } from "../geneval/types.js";
import { detect } from "../shapes/detector.js";
import { type PromptSplit, TEST_SUITE_FILE, createTrainPromptSampler } from "../shapes/train-prompts.js";
import { groundTruthImage } from "../shapes/ground-truth.js";
import { IGNORE, maskTokens } from "../generator/masking.js";
import { promptIds } from "../generator/prompt.js";
import { imagesToTensor } from "../tokenizer/pixels.js";
import { F, manualSeed, noGrad, tensor, tidy } from "../torch/index.js";
import { mulberry32 } from "../util/prng.js";

export interface HeldOutOptions {
  split?: PromptSplit; // default "heldout"
  prompts: number;
  images: number; // per prompt
  seed: number; // of the prompt draw and the paths
  sample?: SampleOptions;
  maxRows?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface HeldOutResult {
  split: PromptSplit;
  prompts: number;
  images: number;
  yes_rate: number;
  /** share of the prompts' objects drawn as many times as asked, colour and place aside: it moves while the yes rate is near 0 */
  object_rate: number;
  /** the object rate per class named: which shapes the generator fails to draw (`asked`: the class's include entries over all images) */
  object_rate_by_class: Record<string, { asked: number; rate: number }>;
  by_tag: Record<string, { images: number; yes_rate: number }>;
}

/** `count` prompts of the split, drawn (with repeats) by a stream fixed by `seed`. */
export function heldOutPrompts(seed: number, count: number, split: PromptSplit = "heldout"): PromptMeta[] {
  const sampler = createTrainPromptSampler(readMetadataFile(TEST_SUITE_FILE), split);
  const rng = mulberry32(seed);
  return Array.from({ length: count }, () => sampler.sample(rng));
}

export async function heldOutYesRate(p: Pipeline, o: HeldOutOptions): Promise<HeldOutResult> {
  const sample = o.sample ?? DEFAULT_SAMPLE;
  const split = o.split ?? "heldout";
  const metas = heldOutPrompts(o.seed, o.prompts, split);
  const batcher = new StepBatcher(o.maxRows ?? DEFAULT_MAX_ROWS);
  const perPass = Math.max(1, Math.floor(batcher.maxRows / (o.images * cfgHalves(sample.cfg))));
  const read: ReadImage[] = [];
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
    batch.live().forEach((id, n) => read.push({ meta: chunk[Math.floor(id / o.images)], detections: detect(images[n]) }));
    o.onProgress?.(Math.min(i + perPass, metas.length), metas.length);
  }
  return { split, prompts: metas.length, ...heldOutFigures(read) };
}

/** One generated image of a prompt, as the detector read it. */
export interface ReadImage {
  meta: PromptMeta;
  detections: readonly Detection[];
}

/** The yes rate, the object rates (overall and per class named) and each tag's yes rate of detected images. */
export function heldOutFigures(read: readonly ReadImage[]): Omit<HeldOutResult, "split" | "prompts"> {
  const tags = new Map<string, { images: number; yes: number }>();
  const classes = new Map<string, { asked: number; found: number }>();
  let yes = 0;
  for (const { meta, detections } of read) {
    const ok = evaluateImage(meta, detections).correct;
    objectsMet(meta, detections).forEach((met, e) => {
      const c = classes.get(meta.include[e].class) ?? { asked: 0, found: 0 };
      classes.set(meta.include[e].class, { asked: c.asked + 1, found: c.found + (met ? 1 : 0) });
    });
    const t = tags.get(meta.tag) ?? { images: 0, yes: 0 };
    tags.set(meta.tag, { images: t.images + 1, yes: t.yes + (ok ? 1 : 0) });
    if (ok) yes++;
  }
  const counted = [...classes.values()];
  return {
    images: read.length,
    yes_rate: yes / read.length,
    object_rate: counted.reduce((n, c) => n + c.found, 0) / counted.reduce((n, c) => n + c.asked, 0),
    object_rate_by_class: Object.fromEntries([...classes].sort().map(([cls, c]) => [cls, { asked: c.asked, rate: c.found / c.asked }])),
    by_tag: Object.fromEntries([...tags].sort().map(([tag, t]) => [tag, { images: t.images, yes_rate: t.yes / t.images }])),
  };
}

/** Whether the detections meet each of the prompt's include entries in count (GenEval's thresholds), colour and position aside. */
export function objectsMet(meta: PromptMeta, detections: readonly Detection[]): boolean[] {
  const kept = keptDetections(detections, meta.tag);
  return meta.include.map((inc) => (kept.get(inc.class)?.length ?? 0) >= inc.count);
}

/**
 * Mean masked-token cross-entropy (nats) of the generator on renders of `count` prompts of the
 * split, each masked at a ratio drawn as in training; a pure function of `seed`. Flat
 * background tokens count like any other.
 */
export function heldOutLoss(p: Pipeline, count: number, seed: number, split: PromptSplit = "heldout", batch = 64): number {
  const metas = heldOutPrompts(seed + 1, count, split);
  const { generator: g, tokenizer } = p;
  const L = g.config.imageTokens;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < metas.length; i += batch) {
    const chunk = metas.slice(i, i + batch);
    const images = chunk.map((m, k) => groundTruthImage(m, seed, i + k, 0, tokenizer.config.imageSize));
    manualSeed(seed * 7_919 + i); // the masks of a chunk are fixed by its position
    const [loss, masked] = noGrad(() =>
      tidy(() => {
        const tokens = tokenizer.encode(imagesToTensor(images)).reshape([chunk.length, L]).toArray();
        const rows = Array.from({ length: chunk.length }, (_, k) => tokens.slice(k * L, (k + 1) * L));
        const { input, target } = maskTokens(rows, g.maskId, L);
        const text = tensor(chunk.flatMap((m) => promptIds(m.prompt, g.config.maxText)), [chunk.length, g.config.maxText], "int64");
        const logits = g.forward({ text, image: input });
        const ce = F.crossEntropy(logits.reshape([-1, g.config.codebookSize]), target.reshape([-1]), { ignoreIndex: IGNORE, reduction: "sum" });
        return [ce.item(), target.ne(IGNORE).sum().item()];
      }),
    );
    sum += loss;
    n += masked;
  }
  return sum / n;
}
