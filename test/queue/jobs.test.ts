// The queue's small parts: stable job ids, the --queue URL, the model check, and the CLI's
// one-line errors for a bad URL (exit 2) and an unreachable Redis (exit 1).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { parseQueueUrl } from "../../src/queue/connection.js";
import { jobSpec } from "../../src/queue/jobs.js";
import { jobModels, modelMismatch } from "../../src/queue/models.js";
import { InputError } from "../../src/util/errors.js";
import { saveTiny } from "../align/tiny.js";

const ids = { generator: "g1", tokenizer: "t1", corrector: null };

test("a job's id is a function of its content: the same work, the same id; other work, another id", () => {
  const data = (prompt: number, image: number, seed = 0) => ({ models: { ...ids, judges: {} }, settings: { seed }, prompt, image });
  const a = jobSpec("eval-image", "p00001-s0002", data(1, 2));
  assert.equal(a.id, jobSpec("eval-image", "p00001-s0002", data(1, 2)).id);
  assert.match(a.id, /^eval-image-p00001-s0002-[0-9a-f]{20}$/);
  assert.ok(!a.id.includes(":"), "BullMQ reads ':' in an id as a key separator");
  const others = [data(1, 3), data(2, 2), data(1, 2, 1)].map((d) => jobSpec("eval-image", "p00001-s0002", d).id);
  assert.equal(new Set([a.id, ...others]).size, 4, "another image, prompt or fingerprint");
  assert.notEqual(jobSpec("record", "x", data(1, 2)).id, jobSpec("paths", "x", data(1, 2)).id);
});

test("--queue takes redis://HOST[:PORT][/DB] and names what is wrong with anything else", () => {
  for (const ok of ["redis://127.0.0.1:6379", "redis://queue.example.org", "rediss://h:6380/2", "redis://:secret@h:6379/0"]) assert.equal(parseQueueUrl(ok), ok);
  const bad: [string, RegExp][] = [
    ["127.0.0.1:6379", /not a URL/],
    ["localhost:6379", /scheme is 'localhost', not redis/],
    ["http://h:6379", /scheme is 'http'/],
    ["redis://", /no host/],
    ["redis://h:6379/queue", /'\/queue' is not a database number/],
    ["redis://h:99999", /not a URL/],
    ["redis://h:6379?db=1", /query/],
  ];
  for (const [url, why] of bad) assert.throws(() => parseQueueUrl(url), (e: unknown) => e instanceof InputError && why.test((e as Error).message) && /expected redis:\/\/HOST:PORT/.test((e as Error).message), url);
});

test("a worker takes a job only with the job's models: generator, tokenizer, corrector, embedded judges", () => {
  assert.equal(modelMismatch(jobModels(ids, null), ids), null);
  assert.equal(modelMismatch(jobModels(ids, { judge: "openai", baseUrl: "http://x/v1" }), ids), null, "a server judge has no weights here");
  const judged = jobModels(ids, { judge: "fine-tuned" });
  assert.match(judged.judges["fine-tuned"], /^[0-9a-f]{16}$/, "the shipped judge's weights by content");
  assert.equal(modelMismatch(judged, ids), null, "the same shipped judge");
  assert.match(modelMismatch({ ...judged, judges: { "fine-tuned": "0000" } }, ids)!, /judge fine-tuned [0-9a-f]{16}, the job's 0000/);
  const m = modelMismatch(jobModels({ ...ids, tokenizer: "t2", corrector: "c1" }, null), ids)!;
  assert.match(m, /tokenizer t1, the job's t2; corrector none, the job's c1\): start it with the same weights$/);
  assert.ok(!m.includes("generator"), "only what differs");
});

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

function cli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stderr })));
}

/** A port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

test("a bad --queue URL exits 2 and an unreachable Redis exits 1, each in one line without a trace", async () => {
  const dir = mkdtempSync(join(tmpdir(), "imagecot-queue-cli-"));
  const tiny = saveTiny(dir);
  const suite = fileURLToPath(new URL("../../../suites/geneval-shapes.jsonl", import.meta.url));
  const oneLine = (r: { stderr: string }) => assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  const bad = await cli(["eval", "--suite", suite, "--queue", "http://127.0.0.1:6379"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /bad --queue URL 'http:\/\/127\.0\.0\.1:6379': the scheme is 'http'/);
  oneLine(bad);
  const noHost = await cli(["worker", "--queue", "redis://"]);
  assert.equal(noHost.code, 2);
  oneLine(noHost);
  const url = `redis://127.0.0.1:${await closedPort()}`;
  const worker = await cli(["worker", "--queue", url, "--generator", tiny.generator, "--tokenizer", tiny.tokenizer]);
  assert.equal(worker.code, 1);
  assert.equal(worker.stderr, `imagecot: cannot reach Redis at ${url}: connect ECONNREFUSED ${url.slice("redis://".length)}\n`);
  const run = await cli(["eval", "--suite", suite, "--every", "80", "--generator", tiny.generator, "--tokenizer", tiny.tokenizer, "--gen-dir", join(dir, "run"), "--queue", url]);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /^imagecot: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+: connect ECONNREFUSED/);
  oneLine(run);
  assert.equal((await cli(["eval", join(dir, "run"), "--queue", url])).code, 2, "--queue is for --suite");
  rmSync(dir, { recursive: true, force: true });
});
