// Judge-training paths (data paths --queue): one job per training prompt, which decodes its paths
// and rollouts and labels them; the enqueuing command writes a chunk file, as a local run does,
// once all the chunk's prompts are back.
import { existsSync } from "node:fs";
import type { SampleOptions } from "../generator/sampler.js";
import type { PromptMeta } from "../geneval/types.js";
import { type CollectOptions, type CollectedPrompt, chunkFile, claimCollection, collectPrompt, collectSeed, collectionPrompts, writeChunk } from "../judges/collect.js";
import type { QueueConnection } from "./connection.js";
import { type JobProgress, type JobStats, runJobs } from "./enqueue.js";
import { type JobData, type JobKind, type JobSpec, type ModelIds, jobSpec } from "./jobs.js";

export interface PathsData extends JobData {
  meta: PromptMeta;
  /** the prompt's place in the collection */
  index: number;
  promptSeed: number;
  pathsPerPrompt: number;
  sample: SampleOptions;
  rolloutShare: number;
}

export const PATHS: JobKind<PathsData, CollectedPrompt> = {
  kind: "paths",
  run: (ctx, d) => collectPrompt(ctx.pipeline, d.meta, d, d.promptSeed),
};

/** Collects, on the queue's workers, the prompts of the chunk files missing under `out`. */
export async function queuePaths(c: QueueConnection, o: Omit<CollectOptions, "onProgress"> & { models: ModelIds }, onProgress?: (p: JobProgress) => void): Promise<JobStats> {
  claimCollection(o);
  const chunks = new Map<number, JobSpec<PathsData>[]>();
  collectionPrompts(o.seed, o.prompts).forEach((meta, i) => {
    const ch = Math.floor(i / o.chunk);
    if (existsSync(chunkFile(o.out, ch))) return;
    const spec = jobSpec("paths", `p${String(i).padStart(5, "0")}`, { models: o.models, meta, index: i, promptSeed: collectSeed(o.seed, i), pathsPerPrompt: o.pathsPerPrompt, sample: o.sample, rolloutShare: o.rolloutShare });
    chunks.set(ch, [...(chunks.get(ch) ?? []), spec]);
  });
  const back = new Map<number, CollectedPrompt[]>();
  const accept = (spec: JobSpec<PathsData>, r: CollectedPrompt): string[] => {
    const ch = Math.floor(spec.data.index / o.chunk);
    const prompts = back.get(ch) ?? [];
    prompts[spec.data.index - ch * o.chunk] = r;
    back.set(ch, prompts);
    const specs = chunks.get(ch)!;
    if (prompts.filter(Boolean).length < specs.length) return [];
    writeChunk(o.out, ch, prompts);
    back.delete(ch);
    return specs.map((s) => s.id);
  };
  return runJobs(c, [...chunks.values()].flat(), accept, onProgress);
}
