// Issue 16's test: three worker processes on one machine, one SIGKILLed in the middle of a job.
// The images, results and summary are those of a single-process run (file hashes), no sample is
// lost or made twice, and the killed worker's job was retried by another one.
import assert from "node:assert/strict";
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Queue, QueueEvents } from "bullmq";
import { QUEUE_NAME } from "../../src/queue/jobs.js";
import { saveTiny } from "../align/tiny.js";
import { type TestRedis, startRedis } from "./redis.js";

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const SUITE = fileURLToPath(new URL("../../../suites/geneval-shapes.jsonl", import.meta.url));
const PROMPTS = 8;
const K = 4;

let root: string;
let redis: TestRedis;
before(async () => {
  root = mkdtempSync(join(tmpdir(), "imagecot-queue-kill-"));
  redis = await startRedis();
});
after(async () => {
  await redis.stop();
  rmSync(root, { recursive: true, force: true });
});

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

/** Every file under dir but the summary (whose provenance differs), by path, with its sha256. */
function hashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f !== "summary.json") out[relative(dir, p)] = createHash("sha256").update(readFileSync(p)).digest("hex");
    }
  };
  walk(dir);
  return out;
}

/** summary.json without what says where and when it was made. */
function scores(dir: string): Record<string, unknown> {
  const { command: _c, git_commit: _g, git_dirty: _d, date: _t, machine: _m, ...rest } = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as Record<string, unknown>;
  return rest;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("three workers, one SIGKILLed mid-job: the results of a single-process run, no sample lost or duplicated", { timeout: 120_000 }, async (t) => {
  const t0 = Date.now();
  const models = saveTiny(root);
  // prompts of every tag: every 40th line of the shapes suite
  const lines = readFileSync(SUITE, "utf8").trim().split("\n");
  const suite = join(root, "suite.jsonl");
  writeFileSync(suite, Array.from({ length: PROMPTS }, (_, i) => lines[i * 40]).join("\n") + "\n");
  const run = join(root, "run"); // both runs write here, so that the summaries name the same folder
  const evalArgs = ["eval", "--suite", suite, "--strategy", "none", "--images-per-prompt", String(K), "--seed", "3", "--generator", models.generator, "--tokenizer", models.tokenizer, "--gen-dir", run, "--json", "--quiet"];

  const local = cli(evalArgs);
  assert.equal(await local.exit, 0, local.stderr());
  renameSync(run, join(root, "local"));

  const queue = new Queue(QUEUE_NAME, { connection: { url: redis.url } });
  const events = new QueueEvents(QUEUE_NAME, { connection: { url: redis.url } });
  const stalled: string[] = [];
  const completed: string[] = [];
  events.on("stalled", ({ jobId }) => stalled.push(jobId));
  events.on("completed", ({ jobId }) => completed.push(jobId));
  await events.waitUntilReady();

  const workerArgs = ["worker", "--queue", redis.url, "--concurrency", "1", "--lock-ms", "2000", "--generator", models.generator, "--tokenizer", models.tokenizer, "--json"];
  const workers = Array.from({ length: 3 }, () => cli(workerArgs));
  // each says its name (BullMQ's processedBy of its jobs) when it is ready
  const names = await Promise.all(
    workers.map(async (w) => {
      while (!w.stdout().includes("\n")) await sleep(20);
      return (JSON.parse(w.stdout().split("\n")[0]) as { name: string }).name;
    }),
  );

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

  assert.deepEqual(hashes(run), hashes(join(root, "local")), "every sample PNG, results.jsonl, settings, traces and costs byte for byte");
  assert.deepEqual(scores(run), scores(join(root, "local")), "the summary but its provenance");
  assert.equal(queued.stdout(), local.stdout(), "the same summary printed");
  const rows = readFileSync(join(run, "results.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { prompt_index: number; sample_index: number });
  assert.equal(new Set(rows.map((r) => `${r.prompt_index}/${r.sample_index}`)).size, PROMPTS * K, "each sample scored once");
  assert.equal(rows.length, PROMPTS * K);

  await sleep(200); // the last events
  assert.ok(stalled.includes(killed), `the killed worker's job ${killed} was found stalled (stalled: ${stalled.join(", ")})`);
  assert.equal(completed.length, PROMPTS * K, "every job completed once");
  assert.equal(new Set(completed).size, PROMPTS * K);
  assert.ok(completed.includes(killed), "and the killed worker's job too, by another worker");
  const left = await queue.getJobCounts();
  assert.ok(Object.values(left).every((n) => n === 0), `no job left in Redis once the results are on disk: ${JSON.stringify(left)}`);

  // the survivors stop on SIGTERM once their jobs are done
  for (const w of workers.slice(1)) w.child.kill("SIGTERM");
  for (const w of workers.slice(1)) assert.equal(await w.exit, 0, w.stderr());
  const made = workers.slice(1).map((w) => (JSON.parse(w.stdout().trim().split("\n").at(-1)!) as { completed: number }).completed);
  assert.ok(made.every((n) => n > 0), `both survivors made images (${made.join(", ")})`);
  await workers[0].exit;
  await events.close();
  await queue.close();
  t.diagnostic(`killed during ${killed}; survivors made ${made.join(" and ")} jobs; ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});
