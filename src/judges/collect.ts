// The fine-tuned judges' raw material: paths the generator decodes for training prompts (never a
// test prompt), every step's prediction kept, the final labelled by the detector, and
// Math-Shepherd rollouts: from one step of a path, 3 more completions with fresh streams;
// with the path's own ending that makes 4, and the step is "yes" if any of them ends correct.
// Rollouts cost more than the path itself, so they may cover a share of the paths (drawn from
// the prompt's seed); the process question is then asked only of those.
// Each path also gets its clarity label from its own images (clarity.ts): the first step from
// which the detector reads every step's prediction as it reads the final.
// Written in chunks of prompts, each file atomic, so a killed run resumes where it stopped.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { readMetadataFile } from "../geneval/metadata.js";
import { evaluateImage } from "../geneval/rules.js";
import type { Detection, PromptMeta } from "../geneval/types.js";
import { type Pipeline, conditioning, decodeTokens, pathSeed } from "../generator/pipeline.js";
import { PathBatch, type PathState, type SampleOptions, recordedSample } from "../generator/sampler.js";
import { detect } from "../shapes/detector.js";
import { TEST_SUITE_FILE, createTrainPromptSampler } from "../shapes/train-prompts.js";
import { writeFileAtomic } from "../util/atomic.js";
import { claimDir } from "../util/claim.js";
import { requireFolder } from "../util/folder.js";
import { clearFrom, readingKey } from "./clarity.js";
import { fnv1a, mulberry32, randInt } from "../util/prng.js";
import { yieldToLoop } from "../util/yield.js";

/** Completions per Math-Shepherd step besides the path's own ending. */
export const EXTRA_ROLLOUTS = 3;

export interface CollectedPath {
  path: number;
  seed: number;
  /** per step, the full prediction (the intermediate image's tokens); the last one is the final */
  predictions: number[][];
  correct: boolean;
  detections: Detection[];
  /** Math-Shepherd: the step after which the rollouts started, and whether each ended correct; null on a path without rollouts */
  rollout: { step: number; correct: boolean[] } | null;
  /** the first step from which the detector reads every prediction of this path as it reads the final */
  clearFrom: number;
}

export interface CollectedPrompt {
  meta: PromptMeta;
  paths: CollectedPath[];
}

export interface CollectOptions {
  out: string;
  prompts: number;
  pathsPerPrompt: number;
  chunk: number; // prompts per file
  seed: number;
  sample: SampleOptions;
  /** share of the paths that get rollouts (1: every path) */
  rolloutShare: number;
  onProgress?: (done: number, total: number) => void;
}

export const chunkFile = (out: string, c: number) => join(out, `chunk-${String(c).padStart(5, "0")}.json`);

/** Writes chunk c's collected prompts, in order, as one file. */
export function writeChunk(out: string, c: number, prompts: readonly CollectedPrompt[]): void {
  writeFileAtomic(chunkFile(out, c), JSON.stringify({ prompts }) + "\n");
}

/** The seed of collected prompt i (path k of it has pathSeed(this, k)). */
export function collectSeed(seed: number, i: number): number {
  return seed * 100_003 + i;
}

/**
 * The training prompts of a collection: a pure function of the seed, never a test prompt. With
 * `tag`, prompts of that GenEval tag only, from a stream of their own (`from` skips the first ones).
 */
export function collectionPrompts(seed: number, count: number, tag?: string, from = 0): PromptMeta[] {
  const sampler = createTrainPromptSampler(readMetadataFile(TEST_SUITE_FILE), "train", tag);
  const rng = mulberry32(tag === undefined ? seed : (seed ^ Math.imul(fnv1a(tag), 0x9e3779b1)) >>> 0);
  return Array.from({ length: from + count }, () => sampler.sample(rng)).slice(from);
}

/** One prompt's paths, rollouts and labels: a pure function of the models, the prompt and its seed. */
export async function collectPrompt(p: Pipeline, meta: PromptMeta, o: Pick<CollectOptions, "sample" | "pathsPerPrompt" | "rolloutShare">, promptSeed: number): Promise<CollectedPrompt> {
  const T = o.sample.steps;
  const cond = conditioning(p.generator, meta.prompt);
  const batch = new PathBatch(p.generator, cond, o.sample, p.batcher);
  const pick = mulberry32(promptSeed ^ 0x5bd1e995);
  const rolloutStep = Array.from({ length: o.pathsPerPrompt }, () => randInt(pick, T - 1)); // after step 0..T-2
  // drawn after the steps, so that a share of 1 keeps every earlier collection's paths
  const hasRollout = rolloutStep.map(() => pick() < o.rolloutShare);
  const predictions: number[][][] = Array.from({ length: o.pathsPerPrompt }, () => []);
  const saved: PathState[] = [];
  for (let i = 0; i < o.pathsPerPrompt; i++) batch.start(i, pathSeed(promptSeed, i));
  while (!batch.done()) {
    for (const r of await batch.step()) {
      predictions[r.path].push(Array.from(r.prediction));
      if (hasRollout[r.path] && rolloutStep[r.path] === r.step) saved.push(batch.save(r.path));
    }
  }
  const finals = batch.live().map((id) => batch.tokens(id));
  const detections = decodeTokens(p.tokenizer, finals).map(detect);
  // per path, the detector's reading of every intermediate prediction (the last one is the final);
  // a turn of the event loop after each path: prompts collected at once would otherwise hold the
  // thread for all their decodes in a row, past a queue worker's lock on its jobs
  const clear: number[] = [];
  for (const [i, preds] of predictions.entries()) {
    const readings = decodeTokens(p.tokenizer, preds.slice(0, T - 1).map((x) => Int32Array.from(x))).map((img) => readingKey(meta, detect(img)));
    clear.push(clearFrom([...readings, readingKey(meta, detections[i])]));
    await yieldToLoop();
  }
  // rollouts, batched by the step they start from
  const rolloutCorrect: boolean[][] = Array.from({ length: o.pathsPerPrompt }, () => []);
  for (const step of new Set(saved.map((s) => rolloutStep[s.id]))) {
    const from = saved.filter((s) => rolloutStep[s.id] === step);
    const rb = new PathBatch(p.generator, cond, o.sample, p.batcher);
    from.forEach((s, k) => {
      for (let j = 0; j < EXTRA_ROLLOUTS; j++) rb.branch(s, k * EXTRA_ROLLOUTS + j, pathSeed(pathSeed(promptSeed, 1000 + s.id), j));
    });
    while (!rb.done()) await rb.step();
    const ids = rb.live();
    const ok = decodeTokens(p.tokenizer, ids.map((id) => rb.tokens(id))).map((img) => evaluateImage(meta, detect(img)).correct);
    ids.forEach((id, k) => rolloutCorrect[from[Math.floor(id / EXTRA_ROLLOUTS)].id].push(ok[k]));
  }
  return {
    meta,
    paths: predictions.map((preds, i) => ({
      path: i,
      seed: pathSeed(promptSeed, i),
      predictions: preds,
      correct: evaluateImage(meta, detections[i]).correct,
      detections: detections[i],
      rollout: hasRollout[i] ? { step: rolloutStep[i], correct: rolloutCorrect[i] } : null,
      clearFrom: clear[i],
    })),
  };
}

/** Claims `out` for the collection's settings: a rerun with others (a share, a seed) is refused, never mixed in. */
export function claimCollection(o: Omit<CollectOptions, "onProgress" | "prompts">): void {
  claimDir(o.out, { seed: o.seed, paths_per_prompt: o.pathsPerPrompt, chunk: o.chunk, rollout_share: o.rolloutShare, sample: recordedSample(o.sample) }, { file: "collection.json", maker: "'data paths'", contents: "collected paths", flag: "--out" });
}

/** Collects what is missing under `out`, chunk by chunk. */
export async function collectPaths(p: Pipeline, o: CollectOptions): Promise<void> {
  claimCollection(o);
  const metas = collectionPrompts(o.seed, o.prompts);
  const chunks = Math.ceil(o.prompts / o.chunk);
  for (let c = 0; c < chunks; c++) {
    if (!existsSync(chunkFile(o.out, c))) {
      // the chunk's prompts at once: with a batcher in the pipeline, their paths share forward passes
      const chunk = metas.slice(c * o.chunk, (c + 1) * o.chunk);
      writeChunk(o.out, c, await Promise.all(chunk.map((meta, k) => collectPrompt(p, meta, o, collectSeed(o.seed, c * o.chunk + k)))));
    }
    o.onProgress?.(Math.min((c + 1) * o.chunk, o.prompts), o.prompts);
  }
}

/**
 * The judges' split of a collection: one prompt in ten, by position, is held out of judge
 * training (prompts differ across collections); held-out figures and reasons are measured on it.
 */
export function splitCollected(all: readonly CollectedPrompt[]): { train: CollectedPrompt[]; heldOut: CollectedPrompt[] } {
  const held = (i: number) => i % 10 === 9;
  return { train: all.filter((_, i) => !held(i)), heldOut: all.filter((_, i) => held(i)) };
}

/** Every collected prompt under the given folders. */
export function readCollected(dirs: readonly string[]): CollectedPrompt[] {
  dirs.forEach(requireFolder);
  return dirs.flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => /^chunk-\d+\.json$/.test(f))
      .sort()
      .flatMap((f) => (JSON.parse(readFileSync(join(dir, f), "utf8")) as { prompts: CollectedPrompt[] }).prompts),
  );
}
