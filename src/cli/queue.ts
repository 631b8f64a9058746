// --queue for the commands that can spread their work over workers (eval --suite, data paths,
// data rank): the option, and one wrapper that connects, shows a bar across all workers, and
// turns the queue's failures into one-line errors (unreachable Redis or a failed job: exit 1).
import { InvalidArgumentError, Option } from "commander";
import { QueueUnreachableError, type QueueConnection, connectQueue, parseQueueUrl } from "../queue/connection.js";
import { JobFailedError, type JobProgress, type JobStats } from "../queue/enqueue.js";
import { InputError } from "../util/errors.js";
import { progressCallback } from "./progress.js";
import { UserError } from "./run.js";

/** A bad URL is a usage error at parse time (exit 2), before anything loads. */
export function queueUrlOption(value: string): string {
  try {
    return parseQueueUrl(value);
  } catch (e) {
    if (e instanceof InputError) throw new InvalidArgumentError(e.message);
    throw e;
  }
}

export function queueOption(what: string): Option {
  return new Option("--queue <url>", `${what} as jobs on the BullMQ queue at redis://HOST:PORT, run by 'imagecot worker' processes anywhere (same results; rerun to resume)`).argParser(queueUrlOption);
}

/** Connects to Redis or says in one line why not (exit 1). */
export async function cliConnect<T>(connect: () => Promise<T>): Promise<T> {
  try {
    return await connect();
  } catch (e) {
    if (e instanceof QueueUnreachableError) throw new UserError(e.message, 1);
    throw e;
  }
}

/** Runs `work` on the queue at `url` with a progress bar over all workers; closes the connection however it ends. */
export async function onQueue(url: string, label: string, bar: boolean, work: (c: QueueConnection, onProgress: (p: JobProgress) => void) => Promise<JobStats>): Promise<JobStats> {
  const c = await cliConnect(() => connectQueue(url));
  const progress = progressCallback(label, bar);
  let stats: JobStats;
  try {
    stats = await work(c, (p) => progress.onProgress(p.done, p.total, `| ${p.active} running on ${p.workers} worker(s)`));
  } catch (e) {
    if (e instanceof JobFailedError) throw new UserError(e.message, 1);
    throw e;
  } finally {
    progress.stop();
    await c.close();
  }
  if (bar && stats.retried > 0) process.stderr.write(`${stats.retried} job(s) made again by another worker after theirs stopped\n`);
  return stats;
}
