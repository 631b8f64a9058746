// What every route shares: the executor (which runs the models), the limits, the job queue,
// and the signal that tells running jobs the server is closing.
import type { FastifyReply } from "fastify";
import { type Compute, type Executor, type ExecutorInfo, LocalExecutor } from "./executor.js";
import { httpError } from "./http-error.js";
import { JobQueue, QueueFullError } from "./queue.js";
import { StepSessions } from "./step-sessions.js";

export interface Limits {
  /** characters in a prompt */
  maxPromptChars: number;
  /** paths per image */
  maxN: number;
  /** jobs (generations, judge calls) running at once */
  concurrentJobs: number;
  /** jobs allowed to wait; one more is refused with 429 */
  queuedJobs: number;
  /** pixels an uploaded image may declare in its header (checked before decoding) */
  maxImagePixels: number;
  /** Host header values accepted (a guard against DNS rebinding); null: any */
  allowedHosts: string[] | null;
  /** step protocol sessions open at once; one more is refused with 429 */
  maxSessions: number;
  /** a step session unused this long is closed */
  sessionIdleSeconds: number;
}

/** Headers every answer carries: no sniffing, no framing, no referrer, a content policy for the page's own files. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
};

export const DEFAULT_LIMITS: Limits = { maxPromptChars: 200, maxN: 32, concurrentJobs: 1, queuedJobs: 4, maxImagePixels: 1024 * 1024, allowedHosts: null, maxSessions: 16, sessionIdleSeconds: 120 };

/** The models to run here (an in-thread LocalExecutor), or an executor of one's own (the compute worker). */
export type ServerCompute = Compute | { executor: Executor };

export type ServerOptions = ServerCompute & {
  /** where the dashboard reads results files */
  resultsDir: string;
  /** the page's files (default: web/ at the package root) */
  webDir?: string;
  limits?: Partial<Limits>;
  /** fastify's logger option */
  logger?: boolean | { level: string };
};

export interface ServerContext {
  options: ServerOptions;
  executor: Executor;
  info: ExecutorInfo;
  limits: Limits;
  queue: JobQueue;
  /** the step protocol's open sessions */
  sessions: StepSessions;
  /** aborted when the server closes */
  closing: AbortSignal;
  judgeNames: string[];
}

export function makeContext(options: ServerOptions, closing: AbortSignal): ServerContext {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const executor = "executor" in options ? options.executor : new LocalExecutor(options);
  const info = executor.info();
  return {
    options,
    executor,
    info,
    limits,
    queue: new JobQueue(limits.concurrentJobs, limits.queuedJobs),
    sessions: new StepSessions(executor, limits),
    closing,
    judgeNames: info.judges.map((j) => j.name),
  };
}

/** The judge a request names, the default one when it names none (null: none loaded), or a clear 400. */
export function resolveJudge(ctx: ServerContext, name: string | undefined): { name: string; reflects: boolean } | null {
  const j = name === undefined ? ctx.info.judges.find((x) => x.available) : ctx.info.judges.find((x) => x.name === name);
  if (!j) return null;
  if (!j.available) throw httpError(400, `judge '${j.name}' is unavailable: ${j.reason}`);
  return { name: j.name, reflects: j.reflects ?? false };
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
