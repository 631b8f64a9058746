// The harness's memory figures and limit: every log line says where the memory is, and a run
// past its limit stops at a checkpoint that a rerun goes on from.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { AdamW, Linear, liveOptimizers, tensor } from "../../src/torch/index.js";
import { MemoryLimitError, runTraining } from "../../src/train/harness.js";
import { readTrainLog } from "../../src/train/log.js";
import { InputError } from "../../src/util/errors.js";
import { LOCK_FILE, bootMinute, lockRun } from "../../src/util/run-lock.js";

function run(dir: string, maxRssMib?: number) {
  const model = new Linear(4, 1);
  const opt = new AdamW(model.namedParameters(), { lr: 1e-2 });
  const x = tensor([1, 2, 3, 4, 0, 1, 0, 1], [2, 4]);
  const y = tensor([1, -1], [2, 1]);
  const result = runTraining({
    runDir: dir,
    model,
    optimizer: opt,
    steps: 6,
    seed: 1,
    schedule: { lr: 1e-2, minLr: 1e-3, warmupSteps: 1, totalSteps: 6 },
    logEvery: 2,
    checkpointEvery: 100,
    data: () => null,
    loss: () => ({ loss: model.forward(x).sub(y).pow(2).mean() }),
    curve: { metrics: ["loss"], title: "t" },
    maxRssMib,
  });
  return result;
}

test("harness: a log line records the heap's held and free memory, and the resident set once trimmed", () => {
  const dir = mkdtempSync(join(tmpdir(), "imagecot-harness-"));
  run(dir);
  const [first] = readTrainLog(join(dir, "log.jsonl"));
  assert.ok(first.heap_in_use_mib > 0 && first.heap_free_mib >= 0 && first.heap_mmap_mib >= 0, JSON.stringify(first));
  assert.ok(first.rss_trimmed_mib > 0 && first.rss_trimmed_mib <= first.rss_mib + 8, "trimming hands pages back, it does not take more");
  rmSync(dir, { recursive: true });
});

test("harness: the optimiser it is given is disposed when it returns and when it throws", () => {
  const dir = mkdtempSync(join(tmpdir(), "imagecot-harness-"));
  const live = liveOptimizers();
  run(dir);
  assert.equal(liveOptimizers(), live, "disposed on return, without waiting for GC");
  const other = mkdtempSync(join(tmpdir(), "imagecot-harness-"));
  assert.throws(() => run(other, 1), MemoryLimitError);
  assert.equal(liveOptimizers(), live, "disposed on a throw");
  rmSync(dir, { recursive: true });
  rmSync(other, { recursive: true });
});

test("harness: past its memory limit a run stops at a checkpoint, and a rerun goes on from it", () => {
  const dir = mkdtempSync(join(tmpdir(), "imagecot-harness-"));
  assert.throws(
    () => run(dir, 1),
    (e: unknown) => e instanceof MemoryLimitError && e.step === 2 && e.limitMib === 1 && /passed the limit of 1 MiB at step 2.*rerun/.test(e.message),
  );
  const resumed = run(dir);
  assert.deepEqual({ start: resumed.start, finished: resumed.finished }, { start: 2, finished: true });
  assert.deepEqual(readTrainLog(join(dir, "log.jsonl")).map((e) => e.step), [2, 4, 6]);
  rmSync(dir, { recursive: true });
});

test("harness: one process at a time in a run folder; a dead holder's lock is taken over", async () => {
  const dir = mkdtempSync(join(tmpdir(), "imagecot-lock-"));
  const lock = join(dir, LOCK_FILE);
  // a live process of this machine holds it: refused, and nothing of the run is written
  const other = spawn(process.execPath, ["-e", "setTimeout(() => {}, 30000)"]);
  writeFileSync(lock, JSON.stringify({ pid: other.pid, boot: bootMinute() }));
  assert.throws(() => run(dir), (e: Error) => e instanceof InputError && e.message.includes(`process ${other.pid}`));
  assert.ok(!existsSync(join(dir, "log.jsonl")), "the refused run wrote no log");
  // the holder gone (killed, its lock left behind): the run takes it over, and releases it at the end
  other.kill("SIGKILL");
  await new Promise((r) => other.once("exit", r));
  assert.equal(run(dir).finished, true);
  assert.ok(!existsSync(lock), "released");
  // a lock from another boot (an archive's, a machine's before its reboot) is stale whatever its pid
  writeFileSync(lock, JSON.stringify({ pid: process.ppid, boot: bootMinute() - 600 }));
  const release = lockRun(dir);
  assert.equal(JSON.parse(readFileSync(lock, "utf8")).pid, process.pid, "taken over");
  release();
  rmSync(dir, { recursive: true });
});
