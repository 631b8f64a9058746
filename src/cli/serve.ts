// `imagecot serve`: the web page and the HTTP API on localhost (port 8080 unless told otherwise).
import type { AddressInfo } from "node:net";
import { Command, Option } from "commander";
import { DEFAULT_SAMPLE } from "../generator/sampler.js";
import { buildApp } from "../server/app.js";
import { DEFAULT_LIMITS } from "../server/context.js";
import { WorkerExecutor } from "../server/worker-executor.js";
import { JUDGES, UnknownJudgeError } from "../judges/registry.js";
import { intOption } from "./options.js";
import { GENERATOR_URL_HELP } from "./pipeline.js";
import { UserError } from "./run.js";

interface ServeOptions {
  port: number;
  host: string;
  resultsDir: string;
  judge: string;
  steps: number;
  maxN: number;
  maxQueue: number;
  maxImagePixels: number;
  maxSessions: number;
  sessionIdle: number;
  allowedHosts?: string;
  generatorUrl?: string;
  generator?: string;
  tokenizer?: string;
  baseUrl?: string;
  model?: string;
  apiKey?: string;
  json?: boolean;
  quiet?: boolean;
}

/** Host header values a local server answers: its address and port under the names a browser uses. */
function localHosts(host: string, port: number): string[] | null {
  // reachable from elsewhere, or a port chosen by the system: any name
  if (!["127.0.0.1", "localhost", "::1"].includes(host) || port === 0) return null;
  const names = ["127.0.0.1", "localhost", "[::1]"];
  // browsers leave the port out of Host when it is the default one
  return [...names.map((h) => `${h}:${port}`), ...(port === 80 ? names : [])];
}

export async function serve(o: ServeOptions): Promise<void> {
  if (!Object.hasOwn(JUDGES, o.judge)) throw new UserError(new UnknownJudgeError(o.judge).message);
  if (o.maxN < 1 || o.steps < 1 || o.maxSessions < 1 || o.sessionIdle < 1) throw new UserError("--max-n, --steps, --max-sessions and --session-idle must be at least 1");
  if (o.generatorUrl && (o.generator || o.tokenizer)) throw new UserError("--generator-url drives an outside generator: drop --generator and --tokenizer");
  // the models load and run in a child process: the server's thread stays free for health checks and 429s
  const executor = await (async () => {
    try {
      return await WorkerExecutor.start({
        generatorUrl: o.generatorUrl,
        generator: o.generator,
        tokenizer: o.tokenizer,
        steps: o.steps,
        judge: o.judge,
        judgeSettings: { baseUrl: o.baseUrl, model: o.model, apiKey: o.apiKey },
      });
    } catch (e) {
      throw new UserError((e as Error).message, 1);
    }
  })();
  const info = executor.info();
  const judges = info.judges.filter((j) => j.available).map((j) => j.name);
  const unavailable = Object.fromEntries(info.judges.filter((j) => !j.available).map((j) => [j.name, j.reason]));
  const allowedHosts = o.allowedHosts ? o.allowedHosts.split(",").map((h) => h.trim().toLowerCase()) : localHosts(o.host, o.port);
  const app = buildApp({
    executor,
    resultsDir: o.resultsDir,
    limits: { maxN: o.maxN, queuedJobs: o.maxQueue, maxImagePixels: o.maxImagePixels, allowedHosts, maxSessions: o.maxSessions, sessionIdleSeconds: o.sessionIdle },
    logger: { level: o.quiet ? "fatal" : "error" },
  });
  try {
    await app.listen({ port: o.port, host: o.host });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") throw new UserError(`port ${o.port} on ${o.host} is in use (choose another with --port)`, 1);
    throw new UserError(`cannot listen on ${o.host}:${o.port}: ${(e as Error).message}`, 1);
  }
  // the port listened on: the one chosen by the system for --port 0
  const port = (app.server.address() as AddressInfo).port;
  const url = `http://${o.host.includes(":") ? `[${o.host}]` : o.host}:${port}/`;
  if (o.json) process.stdout.write(JSON.stringify({ url, generator: info.generator, judges, unavailable }) + "\n");
  else if (!o.quiet) {
    process.stdout.write(`imagecot: serving ${url} (Ctrl-C to stop)\n  generator: ${info.generator}\n  judges: ${judges.join(", ") || "none"}\n`);
    for (const [name, why] of Object.entries(unavailable)) process.stdout.write(`  unavailable: ${name}: ${why}\n`);
  }
  // close gracefully: running jobs stop at their next event, then the process ends by itself
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void app.close());
}

export function registerServe(program: Command): void {
  program
    .command("serve")
    .description("serve the web page (watch generations step by step, see evaluations) and the HTTP API")
    .addOption(new Option("--port <n>", "port to listen on").default(8080).argParser(intOption))
    .option("--host <address>", "address to listen on (0.0.0.0 to be reachable from other machines)", "127.0.0.1")
    .option("--results-dir <dir>", "results folder the dashboard reads", "results")
    .addOption(new Option("--judge <name>", `default judge for requests that name none: ${Object.keys(JUDGES).join(", ")}`).default("fine-tuned"))
    .addOption(new Option("--steps <T>", "decoding steps").default(DEFAULT_SAMPLE.steps).argParser(intOption))
    .addOption(new Option("--max-n <paths>", "largest N a request may ask for").default(DEFAULT_LIMITS.maxN).argParser(intOption))
    .addOption(new Option("--max-queue <jobs>", "jobs that may wait while one runs; more get 429").default(DEFAULT_LIMITS.queuedJobs).argParser(intOption))
    .addOption(new Option("--max-image-pixels <n>", "pixels an uploaded image may declare (checked from its header before decoding)").default(DEFAULT_LIMITS.maxImagePixels).argParser(intOption))
    .addOption(new Option("--max-sessions <n>", "step protocol sessions open at once; more get 429").default(DEFAULT_LIMITS.maxSessions).argParser(intOption))
    .addOption(new Option("--session-idle <seconds>", "a step session unused this long is closed").default(DEFAULT_LIMITS.sessionIdleSeconds).argParser(intOption))
    .option("--allowed-hosts <list>", "Host header values to answer, comma-separated (default: the local names of --host:--port when it is local, else any)")
    .option("--generator <file>", "generator weights (default: the shipped model)")
    .option("--tokenizer <file>", "tokenizer weights (default: the shipped model)")
    .option("--generator-url <url>", `${GENERATOR_URL_HELP}: the page, /v1/generate and the step routes all drive it (checked at start)`)
    .option("--base-url <url>", "for the openai judge: API root (else IMAGECOT_JUDGE_BASE_URL or OPENAI_BASE_URL)")
    .option("--model <name>", "for the openai judge: model name (else IMAGECOT_JUDGE_MODEL)")
    .option("--api-key <key>", "for the openai judge: API key (else IMAGECOT_JUDGE_API_KEY or OPENAI_API_KEY)")
    .option("--json", "print the address and judges as one JSON line once listening")
    .option("--quiet", "print nothing once listening, log nothing but fatal errors")
    .addHelpText(
      "after",
      `
API (JSON; errors are {statusCode, error, message}):
  POST /v1/generate {prompt, strategy?, n?, seed?, judge?, stream?}  the chosen image (base64 PNG), cost and trace;
       with Accept: text/event-stream (or "stream": true) every step, verdict, cut and reflection as it happens
  POST /v1/judge    {prompt, image (base64 PNG), question?, reflect?, judge?}  P("yes") (and the reason)
  GET  /v1/health   strategies, judges, limits, queue        GET /v1/results  the dashboard's rows and charts
  /v1/steps/...     the step protocol: sessions of paths to start, step, truncate, snapshot, resume and branch
                    (docs/step-protocol.md; OpenAPI spec at GET /v1/steps/openapi.json)
  400: invalid request (the message says what), 429: queue or sessions full (retry after the Retry-After seconds)

Examples:
  imagecot serve                              # then open http://127.0.0.1:8080/
  imagecot serve --port 9000 --judge zero-shot --max-n 20
  imagecot serve --generator-url http://127.0.0.1:9000   # the page over an outside step server
  curl -s localhost:8080/v1/generate -H 'content-type: application/json' \\
    -d '{"prompt": "a photo of two red circles", "strategy": "parm", "n": 8}' | jq .nfe
`,
    )
    .action((o: ServeOptions) => serve(o));
}
