// `imagecot worker`: runs the queue's jobs (eval --suite, its replay recordings, data paths and
// data rank with --queue) with the models loaded once, until SIGINT or SIGTERM, which finishes
// the running jobs first (a second signal stops at once: their locks expire and other workers
// make them). Start any number, on any machines that reach the Redis server.
import { hostname } from "node:os";
import { Command, Option } from "commander";
import { pipelineIds } from "../eval/fingerprint.js";
import { DEFAULT_GENERATOR_WEIGHTS, DEFAULT_TOKENIZER } from "../models/paths.js";
import { reachRedis } from "../queue/connection.js";
import { generatorShelf, startWorker, workerContext } from "../queue/worker.js";
import { intOption } from "./options.js";
import { cliPipeline } from "./pipeline.js";
import { disposePipeline } from "../models/load.js";
import { cliConnect, queueUrlOption } from "./queue.js";
import { UserError } from "./run.js";

interface WorkerCliOptions {
  queue: string;
  concurrency: number;
  lockMs: number;
  generator?: string;
  tokenizer?: string;
  generators?: string[];
  json?: boolean;
  quiet?: boolean;
}

export interface WorkerSummary {
  name: string;
  completed: number;
  failed: number;
}

/** Runs jobs until a signal; resolves once the running ones are done and the connections closed. */
export async function workerCommand(o: WorkerCliOptions): Promise<WorkerSummary> {
  if (o.concurrency < 1) throw new UserError("--concurrency must be at least 1");
  if (o.lockMs < 1000) throw new UserError("--lock-ms must be at least 1000: a shorter lock expires under a busy worker, and its jobs are made twice");
  const pipeline = cliPipeline(o.generator, o.tokenizer);
  const connection = await cliConnect(() => reachRedis(o.queue));
  const name = `${hostname()}-${process.pid}`;
  const say = (line: string) => void (!o.quiet && !o.json && process.stderr.write(`imagecot worker ${name}: ${line}\n`));
  const generators = o.generators ? generatorShelf(pipeline, o.tokenizer ?? DEFAULT_TOKENIZER, o.generators) : undefined;
  const worker = startWorker(connection, workerContext(pipeline, pipelineIds(o.generator ?? DEFAULT_GENERATOR_WEIGHTS, pipeline)), { name, concurrency: o.concurrency, lockMs: o.lockMs, generators });
  const summary: WorkerSummary = { name, completed: 0, failed: 0 };
  worker.on("completed", () => summary.completed++);
  // a failed job is the enqueuing command's error too; here it says which worker refused it
  worker.on("failed", (job, e) => (summary.failed++, process.stderr.write(`imagecot worker ${name}: job ${job?.id ?? "?"} failed: ${e.message.split("\n")[0]}\n`)));
  worker.on("error", (e) => say(`queue error: ${e.message.split("\n")[0]} (reconnecting)`));
  const stopped = new Promise<void>((resolve) => {
    const signals = ["SIGINT", "SIGTERM"] as const;
    const stop = () => {
      // a second signal, of either kind, then takes its default course: the process ends at once
      for (const signal of signals) process.removeListener(signal, stop);
      say("stopping: finishing the running jobs (again to stop at once; other workers make them)");
      void worker.close().then(resolve);
    };
    for (const signal of signals) process.on(signal, stop);
  });
  await worker.waitUntilReady();
  if (o.json) process.stdout.write(JSON.stringify({ name, queue: o.queue, concurrency: o.concurrency }) + "\n");
  say(`waiting for jobs on ${o.queue} (concurrency ${o.concurrency}; Ctrl-C stops)`);
  await stopped;
  generators?.disposeAll();
  disposePipeline(pipeline);
  say(`stopped after ${summary.completed} job(s), ${summary.failed} failed`);
  return summary;
}

export function registerWorker(program: Command): void {
  program
    .command("worker")
    .description("run the jobs of commands given --queue (eval --suite, data paths, data rank) on this machine; start any number, anywhere")
    .requiredOption("--queue <url>", "the BullMQ queue's Redis: redis://HOST:PORT", queueUrlOption)
    .addOption(new Option("--concurrency <k>", "jobs at once; their paths share forward passes").default(16).argParser(intOption))
    .option("--generator <file>", "generator weights (default: the shipped model); jobs made with others are refused")
    .option("--tokenizer <file>", "tokenizer weights (default: the shipped model)")
    .option("--generators <dir...>", "folders of other generator weights (searched with their subfolders), loaded by content for the jobs made with them: iterative DPO's rounds, an aligned generator's rows")
    .addOption(new Option("--lock-ms <ms>", "how long a job's lock outlives this worker if it dies: then another worker makes the job").default(30_000).argParser(intOption))
    .option("--json", "print {name, queue, concurrency} when ready and {name, completed, failed} when stopped")
    .option("--quiet", "print only failed jobs")
    .addHelpText(
      "after",
      "\nExit codes: 0 stopped by SIGINT/SIGTERM, 1 failure (missing weights, Redis unreachable), 2 bad arguments.\n\nExample:\n  redis-server --port 6379 &\n  imagecot worker --queue redis://127.0.0.1:6379 &\n  imagecot eval --suite suites/geneval-shapes.jsonl --strategy none --queue redis://127.0.0.1:6379",
    )
    .action(async (o: WorkerCliOptions) => {
      const summary = await workerCommand(o);
      if (o.json) process.stdout.write(JSON.stringify(summary) + "\n");
    });
}
