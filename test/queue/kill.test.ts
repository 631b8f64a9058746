// Issue 16's test: three worker processes on one machine, one SIGKILLed in the middle of a job.
// The images, results and summary are those of a single-process run (file hashes), no sample is
// lost or made twice, and the killed worker's job was retried by another one. And the enqueuing
// command killed and rerun: it finds its jobs (none added twice) and their finished results.
import assert from "node:assert/strict";
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Queue, QueueEvents } from "bullmq";
import { QUEUE_NAME } from "../../src/queue/jobs.js";
import { saveTiny } from "../align/tiny.js";
import { type TestRedis, hashes, startRedis } from "./fixtures.js";

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const SUITE = fileURLToPath(new URL("../../../suites/geneval-shapes.jsonl", import.meta.url));
const PROMPTS = 8;
const K = 4;
const JOBS = PROMPTS * K;

interface Run {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

function cli(args: string[]): Run {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exit };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** summary.json without what says where, when and how fast it was made. */
function scores(dir: string): Record<string, unknown> {
  const { command: _c, git_commit: _g, git_dirty: _d, date: _t, machine: _m, wall_seconds: _w, ...rest } = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as Record<string, unknown>;
  return rest;
}

let root: string;
let redis: TestRedis;
let queue: Queue;
let run: string; // every run writes here (the summary names its folder); the local one is then moved to `local`
let local: string;
let localStdout: string;
let evalArgs: string[];
let workerArgs: string[];

before(async () => {
  root = mkdtempSync(join(tmpdir(), "imagecot-queue-kill-"));
  redis = await startRedis();
  queue = new Queue(QUEUE_NAME, { connection: { url: redis.url } });
  const models = saveTiny(root);
  // prompts of every tag: every 40th line of the shapes suite
  const lines = readFileSync(SUITE, "utf8").trim().split("\n");
  const suite = join(root, "suite.jsonl");
  writeFileSync(suite, Array.from({ length: PROMPTS }, (_, i) => lines[i * 40]).join("\n") + "\n");
  run = join(root, "run");
  local = join(root, "local");
  const tiny = ["--generator", models.generator, "--tokenizer", models.tokenizer];
  evalArgs = ["eval", "--suite", suite, "--strategy", "none", "--images-per-prompt", String(K), "--seed", "3", ...tiny, "--gen-dir", run, "--json", "--quiet"];
  workerArgs = ["worker", "--queue", redis.url, "--concurrency", "1", "--lock-ms", "2000", ...tiny, "--json"];
  const single = cli(evalArgs);
  assert.equal(await single.exit, 0, single.stderr());
  localStdout = single.stdout();
  renameSync(run, local);
});

after(async () => {
  await queue.close();
  await redis.stop();
  rmSync(root, { recursive: true, force: true });
});

/** The queued run's folder is the local run's: every file byte for byte, the summary but its provenance. */
function assertLikeLocal(stdout: string): void {
  assert.deepEqual(hashes(run, ["summary.json"]), hashes(local, ["summary.json"]), "every sample PNG, results.jsonl, settings, traces and costs byte for byte");
  assert.deepEqual(scores(run), scores(local), "the summary but its provenance");
  assert.equal(stdout, localStdout, "the same summary printed");
  const rows = readFileSync(join(run, "results.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { prompt_index: number; sample_index: number });
  assert.equal(rows.length, JOBS);
  assert.equal(new Set(rows.map((r) => `${r.prompt_index}/${r.sample_index}`)).size, JOBS, "each sample scored once");
}

async function assertQueueEmpty(): Promise<void> {
  const left = await queue.getJobCounts();
  assert.ok(Object.values(left).every((n) => n === 0), `no job left in Redis once the results are on disk: ${JSON.stringify(left)}`);
}

/** Starts workers and waits until each says its name (BullMQ's processedBy of its jobs). */
async function startWorkers(n: number): Promise<{ workers: Run[]; names: string[] }> {
  const workers = Array.from({ length: n }, () => cli(workerArgs));
  const names = await Promise.all(
    workers.map(async (w) => {
      while (!w.stdout().includes("\n")) await sleep(20);
      return (JSON.parse(w.stdout().split("\n")[0]) as { name: string }).name;
    }),
  );
  return { workers, names };
}

/** SIGTERM: each finishes its running jobs, exits 0 and says how many it made. */
async function stopWorkers(workers: Run[]): Promise<number[]> {
  for (const w of workers) w.child.kill("SIGTERM");
  const made: number[] = [];
  for (const w of workers) {
    assert.equal(await w.exit, 0, w.stderr());
    made.push((JSON.parse(w.stdout().trim().split("\n").at(-1)!) as { completed: number }).completed);
  }
  return made;
}

test("three workers, one SIGKILLed mid-job: the results of a single-process run, no sample lost or duplicated", { timeout: 120_000 }, async (t) => {
  const t0 = Date.now();
  const events = new QueueEvents(QUEUE_NAME, { connection: { url: redis.url } });
  const stalled: string[] = [];
  const completed: string[] = [];
  events.on("stalled", ({ jobId }) => stalled.push(jobId));
  events.on("completed", ({ jobId }) => completed.push(jobId));
  await events.waitUntilReady();
  const { workers, names } = await startWorkers(3);

  const queued = cli([...evalArgs, "--queue", redis.url]);
  let exited = false;
  void queued.exit.then(() => (exited = true));
  // freeze the victim, and kill it only when Redis shows it holding a job: then it dies mid-job
  const victim = workers[0].child;
  let killed: string | undefined;
  while (!killed && !exited) {
    victim.kill("SIGSTOP");
    const held = (await queue.getActive()).find((j) => j.processedBy === names[0]);
    if (held) {
      victim.kill("SIGKILL");
      killed = held.id;
    } else {
      victim.kill("SIGCONT");
      await sleep(3);
    }
  }
  assert.ok(killed, "the victim was caught holding a job before the run ended");
  assert.equal(await queued.exit, 0, queued.stderr());
  assert.equal(queued.stderr(), "");
  assertLikeLocal(queued.stdout());

  await sleep(200); // the last events
  assert.ok(stalled.includes(killed), `the killed worker's job ${killed} was found stalled (stalled: ${stalled.join(", ")})`);
  assert.equal(completed.length, JOBS, "every job completed once");
  assert.equal(new Set(completed).size, JOBS);
  assert.ok(completed.includes(killed), "and the killed worker's job too, by another worker");
  await assertQueueEmpty();

  const made = await stopWorkers(workers.slice(1));
  assert.ok(made.every((n) => n > 0), `both survivors made images (${made.join(", ")})`);
  await workers[0].exit;
  await events.close();
  t.diagnostic(`killed during ${killed}; survivors made ${made.join(" and ")} jobs; ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});

test("the enqueuing command SIGKILLed and rerun: its jobs are found, not added again, and their results are used, not made again", { timeout: 120_000 }, async () => {
  rmSync(run, { recursive: true, force: true });
  // no worker yet: the command enqueues every job, then waits; killed there
  const first = cli([...evalArgs, "--queue", redis.url]);
  while ((await queue.getWaitingCount()) < JOBS) await sleep(20);
  first.child.kill("SIGKILL");
  await first.exit;
  // a worker makes them all meanwhile; the results wait in Redis
  const { workers } = await startWorkers(1);
  while ((await queue.getCompletedCount()) < JOBS) await sleep(20);
  assert.deepEqual(await stopWorkers(workers), [JOBS]);
  // the rerun has no worker: it can only finish with the results made for the killed run, found by their ids
  const rerun = cli([...evalArgs, "--queue", redis.url]);
  assert.equal(await rerun.exit, 0, rerun.stderr());
  assertLikeLocal(rerun.stdout());
  await assertQueueEmpty();
});
