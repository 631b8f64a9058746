// POST /v1/generate: one image for a prompt by a strategy. Answers JSON when done, or streams
// the strategy's events as server-sent events (Accept: text/event-stream, or "stream": true)
// so the page can draw the reasoning tree as it grows.
import type { FastifyInstance } from "fastify";
import { promptIds } from "../generator/prompt.js";
import type { EventSink } from "../strategies/events.js";
import { STRATEGIES } from "../strategies/index.js";
import type { GenerateJob } from "./executor.js";
import { SECURITY_HEADERS, type ServerContext, refuseWhenFull, requestSignal, resolveJudge } from "./context.js";
import { httpError } from "./http-error.js";
import { EventStream } from "./sse.js";

export interface GenerateBody {
  prompt: string;
  strategy: string;
  n: number;
  seed: number;
  judge?: string;
  stream?: boolean;
}

function bodySchema(ctx: ServerContext) {
  return {
    type: "object",
    additionalProperties: false,
    required: ["prompt"],
    properties: {
      prompt: { type: "string", minLength: 1, maxLength: ctx.limits.maxPromptChars, pattern: "\\S" },
      strategy: { type: "string", enum: Object.keys(STRATEGIES), default: "parm" },
      n: { type: "integer", minimum: 1, maximum: ctx.limits.maxN, default: 8 },
      seed: { type: "integer", minimum: 0, maximum: 2 ** 32 - 1, default: 0 },
      judge: ctx.judgeNames.length > 0 ? { type: "string", enum: ctx.judgeNames } : { type: "string" },
      stream: { type: "boolean" },
    },
  } as const;
}

/** Everything that can be wrong with a request, found before it takes a place in the queue. */
async function prepare(ctx: ServerContext, body: GenerateBody): Promise<GenerateJob> {
  try {
    // an outside generator reads the prompt itself: its refusal comes back as a 400 from the job
    if (ctx.info.maxText !== null) promptIds(body.prompt, ctx.info.maxText);
  } catch (e) {
    throw httpError(400, (e as Error).message);
  }
  const judge = resolveJudge(ctx, body.judge);
  const job: GenerateJob = { prompt: body.prompt, strategy: body.strategy, n: body.n, seed: body.seed, judge: judge?.name ?? null };
  const problem = await ctx.executor.check(job);
  if (problem !== null) {
    if (!judge) throw httpError(400, `strategy '${body.strategy}' needs a judge, and none is available on this server (GET /v1/health says why)`);
    throw httpError(400, problem);
  }
  return job;
}

export function registerGenerate(app: FastifyInstance, ctx: ServerContext): void {
  app.post<{ Body: GenerateBody }>("/v1/generate", { schema: { body: bodySchema(ctx) } }, async (request, reply) => {
    const job = await prepare(ctx, request.body);
    const signal = requestSignal(ctx, reply);
    const stream = request.body.stream ?? (request.headers.accept ?? "").includes("text/event-stream");
    // refused before any stream starts, so a busy server answers a plain 429 either way
    refuseWhenFull(ctx, reply);
    if (!stream) return ctx.queue.run(() => ctx.executor.generate(job, undefined, signal), signal);

    // a hijacked reply skips fastify's hooks: the stream gets the security headers here
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.raw.setHeader(k, v);
    reply.hijack();
    const events = new EventStream(reply.raw);
    const before = ctx.queue.stats();
    // the sink stops the run at its next event once nobody is listening
    const sink: EventSink = async (e) => {
      signal.throwIfAborted();
      await events.send(e);
    };
    const done = ctx.queue.run(async () => {
      await events.send({ type: "start", strategy: job.strategy, n: job.n, seed: job.seed, judge: job.judge, steps: ctx.info.steps });
      return ctx.executor.generate(job, sink, signal);
    }, signal);
    if (before.running >= ctx.limits.concurrentJobs) await events.send({ type: "queued", ahead: before.waiting + 1 });
    try {
      await events.send({ type: "result", ...(await done) });
    } catch (e) {
      await events.send({ type: "error", message: (e as Error).message });
    } finally {
      events.end();
    }
  });
}
