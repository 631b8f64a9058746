// A queue worker: the models loaded once, jobs of every kind, `concurrency` at a time, their paths
// sharing forward passes through the pipeline's batcher (as a local run's prompts do). A job
// whose models this worker lacks fails at once with the reason (UnrecoverableError: no retry
// loop). The lock of a running job is renewed while the worker lives; when it dies the lock
// expires and another worker's stalled check puts the job back, to be made again (the same
// result: every path owns its seeded stream). A job asking for another generator than the
// worker's own is made with weights of that hash from the worker's --generators folders, if
// there are (src/queue/generators.ts).
import { type ConnectionOptions, UnrecoverableError, Worker } from "bullmq";
import { type PipelineIds } from "../eval/fingerprint.js";
import type { Pipeline } from "../generator/pipeline.js";
import type { Judge } from "../judges/judge.js";
import { makeJudge } from "../judges/registry.js";
import { withGenerator } from "../models/load.js";
import { EVAL_IMAGE } from "./eval-image.js";
import { GeneratorShelf, generatorFinder } from "./generators.js";
import { type JobData, type JobJudge, type JobKind, QUEUE_NAME, type WorkerContext } from "./jobs.js";
import { modelMismatch } from "./models.js";
import { PATHS } from "./paths.js";
import { RANK } from "./rank.js";
import { RECORD } from "./record.js";

const KINDS: Readonly<Record<string, JobKind<never>>> = Object.freeze(Object.fromEntries([EVAL_IMAGE, RECORD, PATHS, RANK].map((k) => [k.kind, k as JobKind<never>])));

/** A dead worker's job is retried this many times before it fails (a job that kills every worker stops). */
const MAX_STALLED = 2;

/** The worker's models, and its judges made on first use and kept. */
export function workerContext(pipeline: Pipeline, ids: PipelineIds): WorkerContext {
  const judges = new Map<string, Judge>();
  return {
    pipeline,
    ids,
    judge(j: JobJudge) {
      const key = JSON.stringify([j.judge, j.baseUrl ?? null, j.model ?? null]);
      if (!judges.has(key)) judges.set(key, makeJudge(j));
      return judges.get(key)!;
    },
  };
}

/** Pipelines of other generators found by hash in `dirs`, beside `own` (its tokenizer at `tokenizerPath`). */
export function generatorShelf(own: Pipeline, tokenizerPath: string, dirs: readonly string[]): GeneratorShelf<Pipeline> {
  const find = generatorFinder(dirs);
  return new GeneratorShelf(
    (hash) => {
      const file = find(hash);
      return file ? withGenerator(own, file, tokenizerPath) : null;
    },
    (p) => p.generator.dispose(),
  );
}

export interface WorkerOptions {
  name: string;
  concurrency: number;
  /** how long a job's lock outlives a dead worker; stalled checks run as often */
  lockMs: number;
  /** other generators, loaded by hash for the jobs that ask for them */
  generators?: GeneratorShelf<Pipeline>;
}

export function startWorker(connection: ConnectionOptions, ctx: WorkerContext, o: WorkerOptions): Worker {
  const run = async (job: { name: string; data: JobData }) => {
    const kind = KINDS[job.name];
    if (!kind) throw new UnrecoverableError(`unknown job kind '${job.name}' (this worker runs ${Object.keys(KINDS).join(", ")}): update the worker`);
    const want = job.data.models.generator;
    let held: Pipeline | null = null;
    if (o.generators && want !== ctx.ids.generator) {
      try {
        held = o.generators.acquire(want);
      } catch (e) {
        throw new UnrecoverableError(`generator ${want}: ${(e as Error).message}`);
      }
    }
    try {
      const jobCtx: WorkerContext = held ? { ...ctx, pipeline: held, ids: { ...ctx.ids, generator: want } } : ctx;
      const mismatch = modelMismatch(job.data.models, jobCtx.ids);
      const unfound = o.generators && !held && want !== ctx.ids.generator;
      if (mismatch) throw new UnrecoverableError(unfound ? `${mismatch}, or put that generator in one of its --generators folders` : mismatch);
      return await kind.run(jobCtx, job.data as never);
    } finally {
      if (held) o.generators!.release(want);
    }
  };
  return new Worker(QUEUE_NAME, run, { connection, name: o.name, concurrency: o.concurrency, lockDuration: o.lockMs, stalledInterval: o.lockMs, maxStalledCount: MAX_STALLED });
}
