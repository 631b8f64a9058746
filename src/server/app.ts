// The HTTP app, built apart from `listen` so tests run it in-process: the page, the API
// (generate, judge, health, results, the step protocol) and a clean close that stops running jobs.
import Fastify, { type FastifyInstance } from "fastify";
import { STRATEGIES } from "../strategies/index.js";
import { InputError } from "../util/errors.js";
import { fromRoot } from "../util/root.js";
import { SECURITY_HEADERS, type ServerOptions, makeContext } from "./context.js";
import { registerDashboard } from "./dashboard.js";
import { registerGenerate } from "./generate.js";
import { registerJudge } from "./judge.js";
import { registerSteps } from "./steps.js";
import { registerWeb } from "./web.js";

interface SchemaError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** "body.strategy must be equal to one of the allowed values: none, best-of-n, ..." */
function formatSchemaErrors(errors: readonly SchemaError[], dataVar: string): Error {
  const lines = errors.map((e) => {
    const where = dataVar + e.instancePath.replace(/\//g, ".");
    const extra =
      e.keyword === "enum" ? `: ${(e.params.allowedValues as unknown[]).join(", ")}` : e.keyword === "additionalProperties" ? ` ('${String(e.params.additionalProperty)}')` : "";
    return `${where} ${e.message ?? "is invalid"}${extra}`;
  });
  return new Error(lines.join("; "));
}

/**
 * Headers a browser should see on every answer (no sniffing, no framing, no referrer, a strict
 * content policy for the page's own files), and requests for other hosts refused (a page on
 * another site cannot reach this server through DNS rebinding).
 */
function guard(app: FastifyInstance, allowedHosts: string[] | null): void {
  app.addHook("onRequest", async (request, reply) => {
    if (allowedHosts && !allowedHosts.includes((request.headers.host ?? "").toLowerCase())) {
      await reply.code(421).send({ statusCode: 421, error: "Misdirected Request", message: `this server answers for ${allowedHosts.join(", ")}, not '${request.headers.host ?? ""}'` });
    }
  });
  app.addHook("onSend", async (_request, reply, payload) => {
    reply.headers(SECURITY_HEADERS);
    return payload;
  });
}

export function buildApp(options: ServerOptions): FastifyInstance {
  const app = Fastify({
    logger: options.logger ?? false,
    // reject what a client did not mean, rather than silently dropping or converting it
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
    schemaErrorFormatter: formatSchemaErrors,
  });
  const closing = new AbortController();
  // before in-flight requests are awaited: running jobs stop at their next event, so close ends
  app.addHook("preClose", async () => closing.abort(new Error("the server is shutting down")));
  const ctx = makeContext(options, closing.signal);
  app.addHook("onClose", async () => {
    ctx.sessions.dispose();
    await ctx.executor.close();
  });
  // bad input found deep in a job (an unknown word, an over-long prompt) is the client's: 400, not 500
  app.setErrorHandler(async (error, _request, reply) => {
    if (error instanceof InputError) return reply.code(400).send({ statusCode: 400, error: "Bad Request", message: error.message });
    throw error;
  });
  guard(app, ctx.limits.allowedHosts);

  app.get("/v1/health", async (_request, reply) => ({
    status: ctx.executor.alive() ? "ok" : (reply.code(503), "the compute worker stopped; restart the server"),
    strategies: Object.values(STRATEGIES).map((s) => ({ name: s.name, description: s.description })),
    judges: ctx.info.judges,
    generator: ctx.info.generator,
    steps: ctx.info.steps,
    limits: ctx.limits,
    queue: ctx.queue.stats(),
    stepSessions: ctx.sessions.count,
  }));
  registerGenerate(app, ctx);
  registerJudge(app, ctx);
  registerSteps(app, ctx);
  registerDashboard(app, ctx);
  registerWeb(app, options.webDir ?? fromRoot("web"));
  return app;
}
