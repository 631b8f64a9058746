// POST /v1/generate: one image for a prompt by a strategy. Answers JSON when done, or streams
// the strategy's events as server-sent events (Accept: text/event-stream, or "stream": true)
// so the page can draw the reasoning tree as it grows.
import type { FastifyInstance } from "fastify";
import { promptIds } from "../generator/prompt.js";
import type { Judge } from "../judges/judge.js";
import { pngBase64, type EventSink } from "../strategies/events.js";
import { STRATEGIES, type Strategy, type StrategyContext } from "../strategies/index.js";
import { type ServerContext, httpError, refuseWhenFull, requestSignal, resolveJudge } from "./context.js";
import { EventStream } from "./sse.js";

export interface GenerateBody {
  prompt: string;
  strategy: string;
  n: number;
  seed: number;
  judge?: string;
  stream?: boolean;
}

export interface GenerateResult {
  prompt: string;
  strategy: string;
  n: number;
  seed: number;
  judge: string | null;
  steps: number;
  /** the chosen image, base64 PNG */
  image: string;
  nfe: number;
  judgeCalls: number;
  trace: Record<string, unknown>;
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
      seed: { type: "integer", minimum: 0, maximum: 2 ** 31 - 1, default: 0 },
      judge: ctx.judgeNames.length > 0 ? { type: "string", enum: ctx.judgeNames } : { type: "string" },
      stream: { type: "boolean" },
    },
  } as const;
}

interface Job {
  body: GenerateBody;
  strategy: Strategy;
  judge: { name: string; judge: Judge } | null;
}

/** Everything that can be wrong with a request, found before it takes a place in the queue. */
async function prepare(ctx: ServerContext, body: GenerateBody): Promise<Job> {
  const { generator } = ctx.options.pipeline;
  try {
    promptIds(body.prompt, generator.config.maxText);
  } catch (e) {
    throw httpError(400, (e as Error).message);
  }
  const judge = resolveJudge(ctx, body.judge);
  const strategy = STRATEGIES[body.strategy];
  // a run with no seeds decodes nothing, but makes the strategy's own checks (a judge, a reflecting one)
  try {
    await strategy.run(context(ctx, body, judge?.judge), body.prompt, []);
  } catch (e) {
    if (!judge) throw httpError(400, `strategy '${body.strategy}' needs a judge, and none is available on this server (GET /v1/health says why)`);
    throw httpError(400, (e as Error).message);
  }
  return { body, strategy, judge };
}

function context(ctx: ServerContext, body: GenerateBody, judge: Judge | undefined, onEvent?: EventSink): StrategyContext {
  return { pipeline: ctx.options.pipeline, sample: ctx.options.sample, n: body.n, judge, onEvent };
}

async function run(ctx: ServerContext, job: Job, onEvent?: EventSink): Promise<GenerateResult> {
  const { body } = job;
  const [r] = await job.strategy.run(context(ctx, body, job.judge?.judge, onEvent), body.prompt, [body.seed]);
  return {
    prompt: body.prompt,
    strategy: body.strategy,
    n: body.n,
    seed: body.seed,
    judge: job.judge?.name ?? null,
    steps: ctx.options.sample.steps,
    image: pngBase64(r.image),
    nfe: r.nfe,
    judgeCalls: r.judgeCalls,
    trace: r.trace,
  };
}

export function registerGenerate(app: FastifyInstance, ctx: ServerContext): void {
  app.post<{ Body: GenerateBody }>("/v1/generate", { schema: { body: bodySchema(ctx) } }, async (request, reply) => {
    const job = await prepare(ctx, request.body);
    const signal = requestSignal(ctx, reply);
    const stream = request.body.stream ?? (request.headers.accept ?? "").includes("text/event-stream");
    // refused before any stream starts, so a busy server answers a plain 429 either way
    refuseWhenFull(ctx, reply);
    if (!stream) return ctx.queue.run(() => run(ctx, job), signal);

    reply.hijack();
    const events = new EventStream(reply.raw);
    const before = ctx.queue.stats();
    // the sink stops the run at its next event once nobody is listening
    const sink: EventSink = async (e) => {
      signal.throwIfAborted();
      await events.send(e);
    };
    const done = ctx.queue.run(async () => {
      await events.send({ type: "start", strategy: job.body.strategy, n: job.body.n, seed: job.body.seed, judge: job.judge?.name ?? null, steps: ctx.options.sample.steps });
      return run(ctx, job, sink);
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
