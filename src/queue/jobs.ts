// What travels through the queue. A job carries everything a worker needs (workers share no
// filesystem with the command that enqueued the job) and the ids of the models that must make
// it; its id hashes that content, so enqueuing the same work again finds the job already there.
import { createHash } from "node:crypto";
import type { PipelineIds } from "../eval/fingerprint.js";
import type { Pipeline } from "../generator/pipeline.js";
import type { Judge } from "../judges/judge.js";
import type { JudgeSelection } from "../judges/registry.js";

/** The one BullMQ queue every command and worker uses (another Redis database separates projects). */
export const QUEUE_NAME = "imagecot";

/** The models a job must be made with: the pipeline's, and by name the embedded judges' weights. */
export interface ModelIds extends PipelineIds {
  judges: Record<string, string>;
}

/** A judge as a job names it; never an API key (a worker takes its own from its environment). */
export type JobJudge = Omit<JudgeSelection, "apiKey">;

export interface JobData {
  models: ModelIds;
}

export interface JobSpec<D extends JobData = JobData> {
  /** the job's kind: BullMQ's job name, which picks the worker's handler */
  kind: string;
  id: string;
  data: D;
}

/** What a worker has for every job: its models, loaded once, and its judges by selection. */
export interface WorkerContext {
  pipeline: Pipeline;
  ids: PipelineIds;
  judge(j: JobJudge): Judge;
}

/** A kind of job: its name and what a worker does with one (the result must survive JSON). */
export interface JobKind<D extends JobData = JobData, R = unknown> {
  kind: string;
  run(ctx: WorkerContext, data: D): Promise<R>;
}

/** A job with a stable id: `label` for people reading Redis (p00012-s0003), then a hash of the data. */
export function jobSpec<D extends JobData>(kind: string, label: string, data: D): JobSpec<D> {
  const hash = createHash("sha256").update(JSON.stringify(data)).digest("hex").slice(0, 20);
  return { kind, id: `${kind}-${label}-${hash}`, data };
}

/** Bytes as JSON can carry them. */
export const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
export const fromBase64 = (text: string): Buffer => Buffer.from(text, "base64");

