// Runs jobs on the queue's workers, wherever they are, and hands each result to `accept` once,
// whichever worker made it. Jobs are found by their stable ids: one finished before (by a run
// that was killed) is used as it is, one that failed before is tried again, a missing one is
// added. A job leaves Redis only once `accept` has its result on disk, so a run killed in
// between finds the rest still there. A dead worker's job BullMQ gives to another worker: its
// lock expires and a live worker's stalled check puts it back in the queue.
import { Job, QueueEvents } from "bullmq";
import type { QueueConnection } from "./connection.js";
import { type JobData, type JobSpec, QUEUE_NAME } from "./jobs.js";

/** A job failed (bad input, a worker with other models): the message says which and why, in one line. */
export class JobFailedError extends Error {}

export interface JobProgress {
  done: number;
  total: number;
  /** jobs running now on all workers (of every command using the queue) */
  active: number;
  workers: number;
}

export interface JobStats {
  jobs: number;
  /** finished by an earlier run, not made again */
  reused: number;
  /** started more than once: their worker died (or stopped) and another one made them */
  retried: number;
}

/** Each job runs once; its retries are BullMQ's stalled-job ones (a dead worker), never a repeat of an error. */
const JOB_OPTIONS = { attempts: 1, removeOnComplete: false, removeOnFail: false };
/** How often the states of unfinished jobs are read from Redis, besides the events: nothing missed, whatever happened to a connection. */
const RECONCILE_MS = 5000;
const PROGRESS_MS = 1000;

/**
 * Runs `specs` and calls `accept` with each one's result as it comes back; `accept` returns the
 * ids of the jobs whose results are now on disk (its own, or a group it completes), which are
 * removed from Redis. Resolves when every result is in; rejects with JobFailedError on the first
 * failed job (the results accepted so far stay on disk).
 */
export async function runJobs<D extends JobData, R>(
  c: QueueConnection,
  specs: readonly JobSpec<D>[],
  accept: (spec: JobSpec<D>, result: R) => readonly string[],
  onProgress?: (p: JobProgress) => void,
): Promise<JobStats> {
  const byId = new Map(specs.map((s) => [s.id, s]));
  const stats: JobStats = { jobs: byId.size, reused: 0, retried: 0 };
  if (byId.size === 0) return stats;
  const pending = new Set(byId.keys());
  let done = 0;
  let counts = { active: 0, workers: 0 };
  const report = () => onProgress?.({ done, total: byId.size, ...counts });
  let finish!: () => void;
  let fail!: (e: Error) => void;
  const finished = new Promise<void>((resolve, reject) => ((finish = resolve), (fail = reject)));
  finished.catch(() => {}); // a failure after an early return is no one's to hear
  // results are taken one at a time, in the order they are seen
  let chain = Promise.resolve();
  const settle = (id: string, reused = false) => {
    if (!pending.delete(id)) return;
    chain = chain
      .then(async () => {
        const job = await Job.fromId<D, R>(c.queue, id);
        if (!job) return void pending.add(id); // removed meanwhile (another run's): the next check adds it again
        if (reused) stats.reused++;
        if (job.attemptsStarted > 1) stats.retried++;
        const stored = accept(byId.get(id)!, job.returnvalue);
        await Promise.all(stored.map((x) => c.queue.remove(x)));
        done++;
        report();
        if (done === byId.size) finish();
      })
      .catch(fail);
  };
  const failed = async (id: string, reason?: string) => {
    const job = await Job.fromId(c.queue, id);
    const by = job?.processedBy ? ` on worker ${job.processedBy}` : "";
    fail(new JobFailedError(`job ${id} failed${by}: ${(reason ?? job?.failedReason ?? "no reason given").split("\n")[0]}`));
  };
  // first = the run's start: failures there are an earlier run's, tried again
  const reconcile = async (first: boolean) => {
    const ids = [...pending];
    const states = await Promise.all(ids.map((id) => c.queue.getJobState(id)));
    const missing: string[] = [];
    for (const [k, id] of ids.entries()) {
      const state = states[k];
      if (state === "completed") settle(id, first);
      else if (state === "unknown") missing.push(id);
      else if (state === "failed") {
        if (!first) return failed(id);
        await (await Job.fromId(c.queue, id))?.retry("failed");
      }
    }
    if (missing.length > 0) await c.queue.addBulk(missing.map((id) => ({ name: byId.get(id)!.kind, data: byId.get(id)!.data, opts: { jobId: id, ...JOB_OPTIONS } })));
  };
  const events = new QueueEvents(QUEUE_NAME, { connection: c.connection });
  events.on("error", () => {}); // it reconnects; the reconciling reads cover what it missed
  events.on("completed", ({ jobId }) => settle(jobId));
  events.on("failed", ({ jobId, failedReason }) => void (pending.has(jobId) && failed(jobId, failedReason)));
  const timers: NodeJS.Timeout[] = [];
  try {
    await events.waitUntilReady();
    await reconcile(true);
    report();
    timers.push(setInterval(() => void reconcile(false).catch(fail), RECONCILE_MS));
    timers.push(
      setInterval(() => {
        Promise.all([c.queue.getActiveCount(), c.queue.getWorkersCount()])
          .then(([active, workers]) => ((counts = { active, workers }), report()))
          .catch(() => {}); // only the bar's extra figures
      }, PROGRESS_MS),
    );
    await finished;
    await chain;
    return stats;
  } finally {
    for (const t of timers) clearInterval(t);
    await events.close();
  }
}
