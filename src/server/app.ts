// The HTTP app, built apart from `listen` so tests run it in-process: the page, the API
// (generate, judge, health, results) and a clean close that stops running jobs.
import Fastify, { type FastifyInstance } from "fastify";
import { STRATEGIES } from "../strategies/index.js";
import { fromRoot } from "../util/root.js";
import { type ServerOptions, makeContext } from "./context.js";
import { registerDashboard } from "./dashboard.js";
import { registerGenerate } from "./generate.js";
import { registerJudge } from "./judge.js";
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

  app.get("/v1/health", async () => ({
    status: "ok",
    strategies: Object.values(STRATEGIES).map((s) => ({ name: s.name, description: s.description })),
    judges: [
      ...Object.entries(options.judges).map(([name, j]) => ({ name, available: true, reflects: j.reflect !== undefined })),
      ...Object.entries(options.unavailableJudges ?? {}).map(([name, reason]) => ({ name, available: false, reason })),
    ],
    steps: options.sample.steps,
    limits: ctx.limits,
    queue: ctx.queue.stats(),
  }));
  registerGenerate(app, ctx);
  registerJudge(app, ctx);
  registerDashboard(app, ctx);
  registerWeb(app, options.webDir ?? fromRoot("web"));
  return app;
}
