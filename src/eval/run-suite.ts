// Runs a strategy over a suite into GenEval's folder layout, resumably (a prompt whose
// samples and costs are all on disk is skipped), then scores it with the detector. The paths
// a strategy rejected for a prompt's first image are kept beside it (./rejected.ts).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promptDir, samplePath, writePromptMetadata, writeSample } from "../geneval/layout.js";
import { type ResultRow, scoreFolder, summarizeRows } from "../geneval/score.js";
import type { Summary } from "../geneval/summary.js";
import type { PromptMeta } from "../geneval/types.js";
import { detect } from "../shapes/detector.js";
import { encodePng, readPng } from "../shapes/image.js";
import type { Strategy, StrategyContext, StrategyResult } from "../strategies/index.js";
import { writeFileAtomic } from "../util/atomic.js";
import { mapPool } from "../util/pool.js";
import { type Precision, precision } from "../util/precision.js";
import { REJECTED_SAMPLE, writeRejected } from "./rejected.js";
import { DEFAULT_MAX_ROWS } from "../generator/sampler.js";
import { EmbeddedStepGenerator } from "../generator/embedded-steps.js";

/** The seed of sample s of prompt p in a run seeded with `seed`. */
export function sampleSeed(seed: number, p: number, s: number): number {
  return seed * 1_000_003 + p * 1009 + s;
}

export interface Cost {
  nfe: number;
  judgeCalls: number;
  /**
   * what the image was decoded in: the embedded generator's process, a queue worker, or a
   * replay's recording; absent where not known (a step server's, folders made before it was kept)
   */
  precision?: Precision;
}

export interface SuiteRunOptions {
  suite: readonly PromptMeta[];
  strategy: Strategy;
  ctx: StrategyContext;
  imagesPerPrompt: number;
  seed: number;
  out: string;
  onProgress?: (done: number, total: number) => void;
  /** run only these prompt indices (a paired subset: seeds stay those of the full run) */
  prompts?: readonly number[];
  /** prompts in flight at once (default 1); give ctx.pipeline a batcher so that they share passes */
  concurrency?: number;
}

function readCosts(p: string, k: number): Cost[] | null {
  if (!existsSync(p)) return null;
  const costs = JSON.parse(readFileSync(p, "utf8")) as Cost[];
  return costs.length === k ? costs : null;
}

/**
 * Prompts decoded at once so that their paths fill a shared forward pass of `maxRows`
 * sequences: `none` decodes one path per image, the choosing strategies N per image (CFG doubles both).
 */
export function suiteConcurrency(strategy: string, imagesPerPrompt: number, n: number, maxRows = DEFAULT_MAX_ROWS): number {
  const rows = 2 * (strategy === "none" ? imagesPerPrompt : n);
  return Math.max(1, Math.floor(maxRows / rows));
}

/**
 * Generates what is missing, `concurrency` prompts at a time (their paths share forward passes
 * through ctx.pipeline's batcher; each path keeps its own stream, so images do not depend on
 * it); returns every image's cost, prompt by prompt.
 */
export async function generateSuite(o: SuiteRunOptions): Promise<Cost[]> {
  // what this process's generator decodes in; a step server's is its own (not known), and a
  // replay's result brings its recording's
  const madeHere = o.ctx.generator instanceof EmbeddedStepGenerator ? precision() : undefined;
  const selected = o.prompts ?? o.suite.map((_, p) => p);
  const one = async (p: number): Promise<Cost[]> => {
    const done = completedPrompt(o.out, p, o.imagesPerPrompt);
    if (done) return done;
    const seeds = Array.from({ length: o.imagesPerPrompt }, (_, s) => sampleSeed(o.seed, p, s));
    const results = await o.strategy.run(o.ctx, o.suite[p].prompt, seeds);
    return writePromptResults(o.out, p, o.suite[p], results.map((r) => ({ ...r, precision: r.precision === undefined ? madeHere : (r.precision ?? undefined) })));
  };
  const costs = await mapPool(selected, o.concurrency ?? 1, one, (done) => o.onProgress?.(done, selected.length));
  return costs.flat();
}

/** The resume rule: prompt p's costs when its costs and all its samples are on disk, else null (it is made again). */
export function completedPrompt(out: string, p: number, imagesPerPrompt: number): Cost[] | null {
  const done = readCosts(join(promptDir(out, p), "costs.json"), imagesPerPrompt);
  return done && Array.from({ length: imagesPerPrompt }, (_, s) => existsSync(samplePath(out, p, s))).every(Boolean) ? done : null;
}

/**
 * What a prompt folder keeps of one image (a strategy's result, or one sent back by a queue
 * worker), with what it was decoded in where known (Cost): a row resumed on another machine may mix two.
 */
export type SuiteImage = Pick<StrategyResult, "image" | "nfe" | "judgeCalls" | "trace" | "selection"> & { precision?: Precision };

/** Writes prompt p's folder from its images in sample order; the costs go last, marking it complete. */
export function writePromptResults(out: string, p: number, meta: PromptMeta, results: readonly SuiteImage[]): Cost[] {
  writePromptMetadata(out, p, meta);
  results.forEach((r, s) => writeSample(out, p, s, encodePng(r.image)));
  const kept = results[REJECTED_SAMPLE]?.selection;
  if (kept) writeRejected(out, p, REJECTED_SAMPLE, meta, kept);
  writeFileAtomic(join(promptDir(out, p), "trace.json"), JSON.stringify(results.map((r) => r.trace)) + "\n");
  const c = results.map((r) => ({ nfe: r.nfe, judgeCalls: r.judgeCalls, precision: r.precision }));
  writeFileAtomic(join(promptDir(out, p), "costs.json"), JSON.stringify(c) + "\n");
  return c;
}

export interface SuiteEvaluation {
  /** images_by_precision: how many images each precision made ("unrecorded": folders from before it was kept) */
  summary: Summary & { nfe_per_image: number; judge_calls_per_image: number; images_by_precision: Record<string, number> };
  rows: ResultRow[];
}

export async function evaluateSuite(o: SuiteRunOptions): Promise<SuiteEvaluation> {
  const costs = await generateSuite(o);
  // only the prompts of this run: the folder may hold others (an earlier run on another subset)
  const selected = new Set(o.prompts ?? o.suite.map((_, p) => p));
  const rows = scoreFolder(o.out, (path) => detect(readPng(path))).filter((r) => selected.has(r.prompt_index));
  const mean = (f: (c: Cost) => number) => costs.reduce((a, c) => a + f(c), 0) / costs.length;
  const images_by_precision: Record<string, number> = {};
  for (const c of costs) {
    const made = c.precision ?? "unrecorded";
    images_by_precision[made] = (images_by_precision[made] ?? 0) + 1;
  }
  return { summary: { ...summarizeRows(rows), nfe_per_image: mean((c) => c.nfe), judge_calls_per_image: mean((c) => c.judgeCalls), images_by_precision }, rows };
}
