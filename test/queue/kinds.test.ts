// Every kind of job against its local run, in one process: a worker on a Redis of the test's own
// and the enqueuing functions, on the tiny models. Eval images (with a choosing strategy, so the
// rejected paths travel too), replay recordings, data paths and data rank give the files a local
// run gives; reruns make only what is missing; a job made with another generator is made by the
// worker's shelf of other generators; a worker with other models refuses, in one line.
import { EmbeddedStepGenerator } from "../../src/generator/embedded-steps.js";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Worker } from "bullmq";
import { type RankOptions, rankData } from "../../src/align/rank.js";
import type { SuiteSettings } from "../../src/eval/fingerprint.js";
import { replayStrategy } from "../../src/eval/replay.js";
import { evaluateSuite, type SuiteRunOptions } from "../../src/eval/run-suite.js";
import { StepBatcher } from "../../src/generator/sampler.js";
import type { Pipeline } from "../../src/generator/pipeline.js";
import type { PromptMeta } from "../../src/geneval/types.js";
import { collectPaths } from "../../src/judges/collect.js";
import type { Judge, JudgeRequest, Verdict } from "../../src/judges/judge.js";
import { type QueueConnection, connectQueue } from "../../src/queue/connection.js";
import { JobFailedError } from "../../src/queue/enqueue.js";
import { queueSuite } from "../../src/queue/eval-image.js";
import type { ModelIds } from "../../src/queue/jobs.js";
import { queuePaths } from "../../src/queue/paths.js";
import { queueRank } from "../../src/queue/rank.js";
import { queueRecordings } from "../../src/queue/record.js";
import { startWorker } from "../../src/queue/worker.js";
import { GeneratorShelf } from "../../src/queue/generators.js";
import { MaskedGenerator } from "../../src/generator/model.js";
import { manualSeed } from "../../src/torch/index.js";
import { type Strategy, strategyByName } from "../../src/strategies/index.js";
import { tokenizerId } from "../../src/tokenizer/id.js";
import { MAX_SURVIVORS, PARM_RULE } from "../../src/strategies/parm-rule.js";
import { channel } from "../align/tiny.js";
import { tinyPipeline } from "../fixtures/tiny.js";
import { type TestRedis, hashes, startRedis } from "./fixtures.js";

/** Answers from pixels only, whatever else is in the batch: clear from step 1, potential and outcome by colour. */
class PixelJudge implements Judge {
  readonly name = "pixels";
  async judge(requests: readonly JudgeRequest[]): Promise<Verdict[]> {
    return requests.map((r) => ({ pYes: r.question === "clarity" ? (r.step! >= 1 ? 0.8 : 0.2) : r.question === "potential" ? channel(r.image, 1) : channel(r.image, 0) }));
  }
}

const { generator, tokenizer } = tinyPipeline();
const pipeline = { generator, tokenizer, batcher: new StepBatcher() };
const judge = new PixelJudge();
const ids = { generator: "tiny-generator", tokenizer: tokenizerId(tokenizer), corrector: null };
const models: ModelIds = { ...ids, judges: {} };
// another generator (other weights), which the worker loads only when a job asks for it
manualSeed(1);
const second = { ...pipeline, generator: new MaskedGenerator(generator.config).eval(), batcher: new StepBatcher() };
const loads: string[] = [];
const shelf = new GeneratorShelf<Pipeline>((hash) => (loads.push(hash), hash === "second-generator" ? second : null), () => {});
const sample = { steps: 4, cfg: 1.5, temperature: 1, confidenceTemperature: 4.5 };
const suite: PromptMeta[] = [
  { tag: "single_object", include: [{ class: "circle", count: 1 }], prompt: "a photo of a circle" },
  { tag: "colors", include: [{ class: "star", count: 1, color: "red" }], prompt: "a photo of a red star" },
  { tag: "counting", include: [{ class: "square", count: 2 }], exclude: [{ class: "square", count: 3 }], prompt: "a photo of two squares" },
];
// as eval --suite makes them: with the strategy's rule, where it has one
const settings = (strategy: string, rule = strategyByName(strategy).rule): SuiteSettings => ({ ...ids, suite: "tiny-suite", strategy, ...(rule ? { rule } : {}), judge: "pixels", replay: false, n: 4, images_per_prompt: 2, steps: sample.steps, cfg: sample.cfg, temperature: sample.temperature, confidence_temperature: sample.confidenceTemperature, seed: 5 });

let root: string;
let redis: TestRedis;
let c: QueueConnection;
let worker: Worker;

before(async () => {
  root = mkdtempSync(join(tmpdir(), "imagecot-queue-kinds-"));
  redis = await startRedis();
  c = await connectQueue(redis.url);
  // four jobs at once, sharing the pipeline's batcher
  worker = startWorker(c.connection, { pipeline, ids, judge: () => judge }, { name: "test", concurrency: 4, lockMs: 30_000, generators: shelf });
  await worker.waitUntilReady();
});

after(async () => {
  await worker.close();
  await c.close();
  await redis.stop();
  rmSync(root, { recursive: true, force: true });
  generator.dispose();
  second.generator.dispose();
  tokenizer.dispose();
});

/** A strategy that fails if asked: what is left after the queue must be only scoring. */
const nothingLeft: Strategy = { name: "none", description: "", run: () => Promise.reject(new Error("an image was made locally after the queue")) };

function suiteRun(out: string, strategy: Strategy): SuiteRunOptions {
  return { suite, strategy, ctx: { generator: new EmbeddedStepGenerator(pipeline), judge, n: 4, sample }, imagesPerPrompt: 2, seed: 5, out, concurrency: 3 };
}

test("eval images: the folder of a local run, rejected paths included; a rerun makes only a prompt that lost a file", async () => {
  const local = join(root, "eval-local");
  const queued = join(root, "eval-queued");
  const ref = await evaluateSuite(suiteRun(local, strategyByName("parm")));
  const o = { suite, settings: settings("parm"), models, out: queued, prompts: [0, 1, 2], imagesPerPrompt: 2, seed: 5, sample, judge: { judge: "pixels" } };
  const stats = await queueSuite(c, o);
  assert.deepEqual(stats, { jobs: 6, reused: 0, retried: 0 });
  const got = await evaluateSuite(suiteRun(queued, nothingLeft));
  assert.deepEqual(got, ref);
  assert.deepEqual(hashes(queued), hashes(local));
  assert.ok(Object.keys(hashes(queued)).some((f) => f.endsWith("rejected.json")), "rejected paths kept");

  rmSync(join(queued, "00001", "samples", "0001.png"));
  assert.deepEqual(await queueSuite(c, o), { jobs: 2, reused: 0, retried: 0 }, "the prompt with a missing sample, both its images, as a local run redoes it");
  assert.deepEqual(hashes(queued), hashes(local));
  assert.deepEqual(await queueSuite(c, o), { jobs: 0, reused: 0, retried: 0 });
});

test("replay recordings: the files a local replay records, and the same replayed folder", async () => {
  const dirs = { localRec: join(root, "rec-local"), queuedRec: join(root, "rec-queued"), local: join(root, "replay-local"), queued: join(root, "replay-queued") };
  const replay = (dir: string, out: string) => evaluateSuite(suiteRun(out, replayStrategy("best-of-n", dir, "pixels")));
  const ref = await replay(dirs.localRec, dirs.local);
  const o = { dir: dirs.queuedRec, out: dirs.queued, suite, prompts: [0, 1, 2], imagesPerPrompt: 2, seed: 5, n: 4, sample, models };
  assert.equal((await queueRecordings(c, o)).jobs, 6);
  const recordings = (dir: string) => Object.fromEntries(Object.entries(hashes(dir)).filter(([f]) => f.endsWith(".bin")));
  assert.deepEqual(hashes(dirs.queuedRec), recordings(dirs.localRec), "the recordings, nothing else yet");
  assert.deepEqual(await replay(dirs.queuedRec, dirs.queued), ref);
  assert.deepEqual(hashes(dirs.queued), hashes(dirs.local));
  assert.deepEqual(hashes(dirs.queuedRec), hashes(dirs.localRec), "and the verdicts cached beside them");
  assert.equal((await queueRecordings(c, o)).jobs, 0, "complete prompts need no recording");
});

test("data paths: the chunk files of a local run; a rerun makes only a missing chunk", async () => {
  const o = (out: string) => ({ out, prompts: 5, pathsPerPrompt: 3, chunk: 2, seed: 4, sample, rolloutShare: 0.5 });
  await collectPaths(pipeline, o(join(root, "paths-local")));
  const queued = join(root, "paths-queued");
  assert.equal((await queuePaths(c, { ...o(queued), models })).jobs, 5);
  assert.deepEqual(hashes(queued), hashes(join(root, "paths-local")));
  rmSync(join(queued, "chunk-00001.json"));
  assert.equal((await queuePaths(c, { ...o(queued), models })).jobs, 2);
  assert.deepEqual(hashes(queued), hashes(join(root, "paths-local")));
});

test("data rank: the records, PNGs and pairs of a local run, judge scores included", async () => {
  const o = (out: string): RankOptions => ({ out, prompts: 4, samplesPerPrompt: 3, seed: 3, sample: { ...sample, temperature: 1.5 }, pairsPerPrompt: 2, generator: "tiny-generator", judge, tau: 0.1 });
  const ref = await rankData(pipeline, o(join(root, "rank-local")));
  const queued = join(root, "rank-queued");
  const { judge: _j, tau: _t, ...plan } = o(queued);
  assert.equal((await queueRank(c, { ...plan, judge: { judge: "pixels" }, models })).jobs, 4);
  assert.deepEqual(await rankData({ ...pipeline, generator: null as never }, o(queued)), ref, "nothing left to sample (no generator to do it)");
  assert.deepEqual(hashes(queued), hashes(join(root, "rank-local")));
});

test("data rank with another generator: the worker's shelf makes it, as a local run with that generator does", async () => {
  const o = (out: string): RankOptions => ({ out, prompts: 3, samplesPerPrompt: 3, seed: 4, sample: { ...sample, temperature: 1.5 }, pairsPerPrompt: 2, generator: "second-generator" });
  const ref = await rankData(second, o(join(root, "rank-second-local")));
  await rankData(pipeline, { ...o(join(root, "rank-own-local")), generator: "tiny-generator" });
  const pngs = (dir: string) => Object.entries(hashes(dir)).filter(([f]) => f.endsWith(".png"));
  assert.notDeepEqual(pngs(join(root, "rank-own-local")), pngs(join(root, "rank-second-local")), "the two generators draw other images (else this test shows nothing)");
  const queued = join(root, "rank-second-queued");
  assert.equal((await queueRank(c, { ...o(queued), judge: null, models: { ...models, generator: "second-generator" } })).jobs, 3);
  assert.deepEqual(await rankData({ ...pipeline, generator: null as never }, o(queued)), ref);
  assert.deepEqual(hashes(queued), hashes(join(root, "rank-second-local")));
  assert.deepEqual(loads, ["second-generator"], "loaded once, for the first job that asked");
});

test("a worker whose PARM rule is not the run's refuses the job in one line, and it is not retried", async () => {
  const out = join(root, "refused-rule");
  const o = { suite, settings: { ...settings("parm"), rule: { ...PARM_RULE, max_survivors: MAX_SURVIVORS + 1 } }, models, out, prompts: [0], imagesPerPrompt: 1, seed: 5, sample, judge: { judge: "pixels" } };
  const e = await queueSuite(c, o).then(
    () => assert.fail("the run should fail"),
    (x: unknown) => x,
  );
  assert.ok(e instanceof JobFailedError);
  assert.match(e.message, new RegExp(`failed on worker test: this worker's parm rule is .*"max_survivors":${MAX_SURVIVORS}\\}, the run's .*"max_survivors":${MAX_SURVIVORS + 1}\\}: run the workers from the same build$`));
  const [job] = await c.queue.getFailed();
  assert.equal(job.attemptsStarted, 1, "refused once, not tried again");
  await c.queue.obliterate({ force: true });
});

test("a worker with other models refuses the job in one line, and it is not retried", async () => {
  const other = { ...models, generator: "another-generator" };
  const out = join(root, "refused");
  const o = { suite, settings: settings("none"), models: other, out, prompts: [0], imagesPerPrompt: 1, seed: 5, sample, judge: null };
  const e = await queueSuite(c, o).then(
    () => assert.fail("the run should fail"),
    (x: unknown) => x,
  );
  assert.ok(e instanceof JobFailedError);
  assert.match(e.message, /^job eval-image-p00000-s0000-\w+ failed on worker test: this worker's models are not the job's \(generator tiny-generator, the job's another-generator\): start it with the same weights, or put that generator in one of its --generators folders/);
  assert.ok(!e.message.includes("\n"));
  const [job] = await c.queue.getFailed();
  assert.equal(job.attemptsStarted, 1, "refused once, not tried again");
  await c.queue.obliterate({ force: true });
});
