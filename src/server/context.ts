// What every route shares: the model, the judges, the limits, the job queue, and the signal
// that tells running jobs the server is closing.
import type { FastifyReply } from "fastify";
import type { Pipeline } from "../generator/pipeline.js";
import type { SampleOptions } from "../generator/sampler.js";
import type { Judge } from "../judges/judge.js";
import { JobQueue, QueueFullError } from "./queue.js";

export interface Limits {
  /** characters in a prompt */
  maxPromptChars: number;
  /** paths per image */
  maxN: number;
  /** jobs (generations, judge calls) running at once */
  concurrentJobs: number;
  /** jobs allowed to wait; one more is refused with 429 */
  queuedJobs: number;
}

export const DEFAULT_LIMITS: Limits = { maxPromptChars: 200, maxN: 32, concurrentJobs: 1, queuedJobs: 4 };

export interface ServerOptions {
  pipeline: Pipeline;
  sample: SampleOptions;
  /** the judges requests can name; the first is used when a request names none */
  judges: Readonly<Record<string, Judge>>;
  /** judges that could not be loaded, with why: a request naming one gets that as a 400 */
  unavailableJudges?: Readonly<Record<string, string>>;
  /** where the dashboard reads results files */
  resultsDir: string;
  /** the page's files (default: web/ at the package root) */
  webDir?: string;
  limits?: Partial<Limits>;
  /** fastify's logger option */
  logger?: boolean | { level: string };
}

export interface ServerContext {
  options: ServerOptions;
  limits: Limits;
  queue: JobQueue;
  /** aborted when the server closes */
  closing: AbortSignal;
  judgeNames: string[];
}

export function makeContext(options: ServerOptions, closing: AbortSignal): ServerContext {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  return {
    options,
    limits,
    queue: new JobQueue(limits.concurrentJobs, limits.queuedJobs),
    closing,
    judgeNames: [...Object.keys(options.judges), ...Object.keys(options.unavailableJudges ?? {})],
  };
}

/** An error fastify answers with this status and message. */
export function httpError(statusCode: number, message: string): Error & { statusCode: number } {
  return Object.assign(new Error(message), { statusCode });
}

/** The judge a request names, the default one when it names none, or a clear 400. */
export function resolveJudge(ctx: ServerContext, name: string | undefined): { name: string; judge: Judge } | null {
  const chosen = name ?? Object.keys(ctx.options.judges)[0];
  if (chosen === undefined) return null;
  const why = ctx.options.unavailableJudges?.[chosen];
  if (why !== undefined) throw httpError(400, `judge '${chosen}' is unavailable: ${why}`);
  return { name: chosen, judge: ctx.options.judges[chosen] };
}

/** Aborted when the client goes away before its answer is complete, or the server closes. */
export function requestSignal(ctx: ServerContext, reply: FastifyReply): AbortSignal {
  const gone = new AbortController();
  reply.raw.on("close", () => {
    if (!reply.raw.writableFinished) gone.abort(new Error("the client disconnected"));
  });
  return AbortSignal.any([gone.signal, ctx.closing]);
}

/** A full queue is a 429, with a hint of when to retry; checked before a job takes its place. */
export function refuseWhenFull(ctx: ServerContext, reply: FastifyReply): void {
  if (!ctx.queue.full()) return;
  reply.header("retry-after", "5");
  throw new QueueFullError(ctx.queue.stats());
}
