// The job queue: slots, a bounded wait, refusal when full, and leaving the queue on abort.
import assert from "node:assert/strict";
import { test } from "node:test";
import { JobQueue, QueueFullError } from "../../src/server/queue.js";

function held(): { job: () => Promise<string>; release: (v: string) => void; started: () => boolean } {
  let release!: (v: string) => void;
  let started = false;
  const done = new Promise<string>((resolve) => (release = resolve));
  const job = async () => {
    started = true;
    return done;
  };
  return { job, release, started: () => started };
}

test("jobs run one at a time, wait in order, and a full queue refuses at once", async () => {
  const q = new JobQueue(1, 2);
  const [a, b, c] = [held(), held(), held()];
  const pa = q.run(a.job);
  const pb = q.run(b.job);
  const pc = q.run(c.job);
  assert.deepEqual(q.stats(), { running: 1, waiting: 2 });
  assert.ok(q.full());
  await assert.rejects(q.run(async () => "d"), (e: unknown) => e instanceof QueueFullError && e.statusCode === 429);
  await Promise.resolve();
  assert.deepEqual([a.started(), b.started(), c.started()], [true, false, false]);
  a.release("a");
  assert.equal(await pa, "a");
  await new Promise((r) => setImmediate(r));
  assert.deepEqual([b.started(), c.started()], [true, false], "the next in line takes the slot");
  b.release("b");
  c.release("c");
  assert.deepEqual(await Promise.all([pb, pc]), ["b", "c"]);
  assert.deepEqual(q.stats(), { running: 0, waiting: 0 });
});

test("a waiting job whose signal aborts leaves the queue and never runs; a failing job frees its slot", async () => {
  const q = new JobQueue(1, 1);
  const a = held();
  const pa = q.run(a.job);
  const leaving = new AbortController();
  const b = held();
  const pb = q.run(b.job, leaving.signal);
  leaving.abort(new Error("the client disconnected"));
  await assert.rejects(pb, /the client disconnected/);
  assert.deepEqual(q.stats(), { running: 1, waiting: 0 });
  a.release("a");
  await pa;
  await assert.rejects(q.run(async () => Promise.reject(new Error("boom"))), /boom/);
  assert.equal(b.started(), false);
  assert.deepEqual(q.stats(), { running: 0, waiting: 0 });
});
