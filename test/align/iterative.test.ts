// DPO runs end to end on tiny models: iterative rounds (each samples with the previous round's
// model, which is also its reference), a kill in round 2 resumed by the same call, given data,
// reward-guided runs with a scripted judge, and tag-balanced rounds (as `data rank --pairs`).
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { type DpoRunOptions, roundSampleSeed, runDpo } from "../../src/align/iterative.js";
import { type TagBalance, rankDataBalanced, readBalance } from "../../src/align/balance.js";
import { type PairStats, readPairs } from "../../src/align/pairs.js";
import { RENDER_PAIRS_FILE } from "../../src/align/self-play.js";
import { rankData, rankedCount, readRankMeta, recordFile } from "../../src/align/rank.js";
import { writeFileAtomic } from "../../src/util/atomic.js";
import { fileHash } from "../../src/util/file-hash.js";
import { trainDpoCommand } from "../../src/cli/train-dpo.js";
import { disposePipeline, loadPipeline } from "../../src/models/load.js";
import { dispose, loadSafetensors } from "../../src/torch/index.js";
import { readTrainLog } from "../../src/train/log.js";
import { ScriptedJudge, TINY_SAMPLE, parityLabel, saveTiny, tinyRankOptions } from "./tiny.js";

const root = mkdtempSync(join(tmpdir(), "imagecot-iter-"));
const tiny = saveTiny(root);

const options = (dir: string, extra: Partial<DpoRunOptions> = {}): DpoRunOptions => ({
  runDir: join(dir, "run"),
  out: join(dir, "final.safetensors"),
  results: join(dir, "results.json"),
  rounds: 2,
  generator: tiny.generator,
  tokenizer: tiny.tokenizer,
  rank: { prompts: 8, samplesPerPrompt: 4, seed: 5, sample: TINY_SAMPLE, pairsPerPrompt: 2, tau: 0.1 },
  train: { epochs: 1, batch: 4, lr: 1e-3, beta: 0.1, nllWeight: 0, cfg: 0, uncondAnchor: 0, masks: 1, minMaskRatio: 0, trajectory: false, weightDecay: 0.01, warmup: 0.1, seed: 1, checkpointEvery: 2, logEvery: 1 },
  label: parityLabel,
  command: "test",
  ...extra,
});

const meta = (file: string) => {
  const { tensors, metadata } = loadSafetensors(file);
  dispose([...tensors.values()]);
  return metadata;
};
/** The weights of a file, as plain numbers (the metadata holds paths that differ between runs). */
const tensorsOf = (file: string) => {
  const { tensors } = loadSafetensors(file);
  const out = [...tensors].map(([k, v]) => [k, v.toArray()] as const).sort(([a], [b]) => a.localeCompare(b));
  dispose([...tensors.values()]);
  return out;
};
const sameWeights = (a: string, b: string) => JSON.stringify(tensorsOf(a)) === JSON.stringify(tensorsOf(b));

test("two rounds: round 2 samples with round 1's model, trains from it against it; a kill in round 2 resumes", async () => {
  const dir = join(root, "iter");
  const stopped = await runDpo(options(dir, { stopAt: 1 }));
  assert.equal(stopped, null, "stopped in round 1's training");
  const steps1 = Math.ceil(readPairs(join(dir, "run", "round-1", "data", "pairs.jsonl")).length / 4);
  const again = await runDpo(options(dir, { stopAt: steps1 + 1 }));
  assert.equal(again, null, "round 1 done, stopped in round 2's");
  assert.equal(readTrainLog(join(dir, "run", "round-2", "train", "log.jsonl")).at(-1)!.step, 1);
  assert.ok(existsSync(join(dir, "run", "round-1", "generator.safetensors")));
  assert.ok(!existsSync(join(dir, "final.safetensors")));
  const rounds = await runDpo(options(dir));
  assert.ok(rounds);
  assert.deepEqual(rounds.map((r) => r.round), [1, 2]);
  const r1 = join(dir, "run", "round-1", "generator.safetensors");
  const r2 = join(dir, "run", "round-2", "generator.safetensors");
  assert.equal(rounds[1].generator, r1);
  assert.deepEqual([rounds[1].generator_hash, rounds[1].weights_hash], [fileHash(r1), fileHash(r2)], "the weights by content, for the report's join");
  assert.equal(meta(r2).reference, resolve(r1), "round 2's reference is round 1's model");
  assert.equal(meta(r1).reference, resolve(tiny.generator), "round 1's reference is the starting model");
  const m2 = readRankMeta(join(dir, "run", "round-2", "data"))!;
  assert.equal(m2.generator, resolve(r1), "round 2 sampled with round 1's weights");
  assert.equal(m2.sampleSeed, roundSampleSeed(5, 2));
  assert.ok(sameWeights(join(dir, "final.safetensors"), r2));
  for (const r of rounds) assert.ok(r.pairs!.pairs > 0 && r.training.steps === Math.ceil(r.pairs!.pairs / 4));
  const results = JSON.parse(readFileSync(join(dir, "results.json"), "utf8"));
  assert.equal(results.dpo.method, "iterative dpo");
  assert.equal(results.command, "test");
  assert.ok(results.git_commit && results.machine);
  // the same run without interruption ends with the same weights
  const whole = join(root, "iter-whole");
  await runDpo(options(whole));
  assert.ok(sameWeights(join(whole, "final.safetensors"), join(dir, "final.safetensors")), "killed twice and resumed: the same weights");
});

test("given data: round 1 trains on it as ranked; later rounds rank with its settings", async () => {
  const data = join(root, "given-data");
  const p = loadPipeline(tiny.generator, tiny.tokenizer);
  await rankData(p, tinyRankOptions(data, { generator: tiny.generator, seed: 7, prompts: 6 }));
  disposePipeline(p);
  const dir = join(root, "given");
  const rounds = (await runDpo(options(dir, { data, rounds: 2 })))!;
  assert.equal(rounds[0].data, data);
  const m2 = readRankMeta(join(dir, "run", "round-2", "data"))!;
  assert.equal(m2.seed, 7);
  assert.equal(m2.prompts, 6);
  assert.equal(m2.samplesPerPrompt, 4);
});

// 8 prompts give at most 16 pairs: short of 24, so every round ranks at least one stage of extra prompts
const BALANCE: TagBalance = { pairs: 24, minShare: 0.15, maxStages: 1, maxBlock: 2 };
const TAGS = ["color_attr", "colors", "counting", "position", "two_object"];

test("balanced rounds: every round ranked here gets extra prompts for its short tags, recorded in the round's summary", async () => {
  const dir = join(root, "balanced");
  const rounds = (await runDpo(options(dir, { balance: BALANCE })))!;
  const results = JSON.parse(readFileSync(join(dir, "results.json"), "utf8"));
  assert.deepEqual(results.dpo.settings.balance, BALANCE);
  for (const [i, r] of rounds.entries()) {
    const b = readBalance(r.data)!;
    assert.ok(b, `round ${r.round} has a balance.json`);
    assert.deepEqual(b.settings, BALANCE);
    assert.ok(b.stages.length >= 1, `round ${r.round} ranked extra prompts`);
    assert.deepEqual(readRankMeta(r.data)!.extra, b.stages.flat());
    assert.deepEqual(Object.keys(b.by_tag), TAGS);
    assert.equal(b.pairs, r.pairs!.pairs, "the report counts the round's pairs");
    assert.deepEqual(r.balance, b);
    assert.deepEqual(results.dpo.rounds[i].balance, b, "results show each round's pairs per tag");
  }
  // round 2 balanced on its own records (round 1's model, fresh paths), as `data rank --pairs` would have
  const m2 = readRankMeta(rounds[1].data)!;
  const p = loadPipeline(join(dir, "run", "round-1", "generator.safetensors"), tiny.tokenizer);
  const alone = join(root, "balanced-alone");
  const r = await rankDataBalanced(p, { ...tinyRankOptions(alone, { generator: m2.generator, seed: 5, sampleSeed: m2.sampleSeed }), balance: BALANCE });
  disposePipeline(p);
  assert.deepEqual(r.balance, readBalance(rounds[1].data));
  assert.equal(readFileSync(join(alone, "pairs.jsonl"), "utf8"), readFileSync(join(rounds[1].data, "pairs.jsonl"), "utf8"));
});

test("balanced rounds: a kill in round 2's balancing, rerun, ends with the uninterrupted run's data and weights", async () => {
  const whole = join(root, "balanced");
  const dir = join(root, "balanced-killed");
  const data2 = join(dir, "run", "round-2", "data");
  const steps1 = Math.ceil(readPairs(join(whole, "run", "round-1", "data", "pairs.jsonl")).length / 4);
  assert.equal(await runDpo(options(dir, { balance: BALANCE, stopAt: steps1 })), null, "round 1 done, round 2 not ranked");
  // round 2 as a kill leaves it once stage 1's blocks were claimed and all but one of their prompts ranked
  const meta = readRankMeta(join(whole, "run", "round-2", "data"))!;
  const stage1 = readBalance(join(whole, "run", "round-2", "data"))!.stages[0];
  const sampler = join(dir, "run", "round-1", "generator.safetensors");
  const p = loadPipeline(sampler, tiny.tokenizer);
  await rankData(p, { ...tinyRankOptions(data2, { generator: sampler, seed: 5, sampleSeed: meta.sampleSeed }), extra: stage1 });
  disposePipeline(p);
  rmSync(recordFile(data2, rankedCount({ prompts: 8, extra: stage1 }) - 1));
  const rounds = (await runDpo(options(dir, { balance: BALANCE })))!;
  assert.deepEqual(readRankMeta(data2), { ...meta, generator: resolve(sampler), generatorHash: fileHash(sampler)! });
  assert.deepEqual(rounds[1].balance, readBalance(join(whole, "run", "round-2", "data")));
  assert.deepEqual(readdirSync(join(data2, "samples")).sort(), readdirSync(join(whole, "run", "round-2", "data", "samples")).sort());
  assert.equal(readFileSync(join(data2, "pairs.jsonl"), "utf8"), readFileSync(join(whole, "run", "round-2", "data", "pairs.jsonl"), "utf8"));
  assert.ok(sameWeights(join(dir, "final.safetensors"), join(whole, "final.safetensors")));
});

test("ranked elsewhere (train dpo --queue): each round's prompts and stages are sampled by the hook with the round's sampler; the same data and weights", async () => {
  const whole = join(root, "balanced");
  const dir = join(root, "balanced-elsewhere");
  const calls: { generator: string; extra: number; sampleSeed: number | undefined }[] = [];
  const rounds = (await runDpo(
    options(dir, {
      balance: BALANCE,
      // as a worker does: a pipeline of the plan's generator samples the plan's prompts into its folder
      rankElsewhere: async (_p, plan) => {
        calls.push({ generator: plan.generator, extra: plan.extra?.length ?? 0, sampleSeed: plan.sampleSeed });
        const p = loadPipeline(plan.generator, tiny.tokenizer);
        await rankData(p, { ...plan, label: parityLabel });
        disposePipeline(p);
      },
    }),
  ))!;
  const r1 = join(dir, "run", "round-1", "generator.safetensors");
  assert.deepEqual([...new Set(calls.map((c) => c.generator))], [tiny.generator, r1], "round 2 sampled with round 1's weights");
  assert.deepEqual([...new Set(calls.map((c) => c.sampleSeed))], [roundSampleSeed(5, 1), roundSampleSeed(5, 2)]);
  assert.ok(calls.some((c) => c.extra > 0), "the balancing stages went elsewhere too");
  for (const r of [1, 2]) {
    const d = (base: string) => join(base, "run", `round-${r}`, "data", "pairs.jsonl");
    assert.equal(readFileSync(d(dir), "utf8"), readFileSync(d(whole), "utf8"), `round ${r}: the pairs of a local run`);
  }
  assert.deepEqual(rounds[1].balance, readBalance(join(whole, "run", "round-2", "data")));
  assert.ok(sameWeights(join(dir, "final.safetensors"), join(whole, "final.safetensors")));
});

test("given balanced data: later rounds balance as its balance.json records; one without the settings is refused", async () => {
  const data = join(root, "given-balanced");
  const p = loadPipeline(tiny.generator, tiny.tokenizer);
  const given = { ...BALANCE, pairs: 20 };
  await rankDataBalanced(p, { ...tinyRankOptions(data, { generator: tiny.generator, seed: 5 }), balance: given });
  disposePipeline(p);
  const dir = join(root, "given-balanced-run");
  const rounds = (await runDpo(options(dir, { data, rounds: 2, balance: BALANCE })))!;
  assert.deepEqual(rounds[0].balance, readBalance(data));
  assert.deepEqual(rounds[1].balance!.settings, given, "round 2 takes round 1's balance, not the options'");
  assert.ok(rounds[1].balance!.stages.length >= 1);
  const { settings: _s, ...old } = readBalance(data)!;
  writeFileAtomic(join(data, "balance.json"), JSON.stringify(old));
  await assert.rejects(runDpo(options(join(root, "given-old"), { data, rounds: 2 })), /does not record the balance it was ranked with/);
});

test("reward-guided: judge scores stored, weighted pairs, the scheme in the results", async () => {
  const dir = join(root, "guided");
  const judge = new ScriptedJudge();
  const rounds = (await runDpo(options(dir, { rounds: 1, judge })))!;
  assert.equal(judge.calls, 8 * 4);
  assert.ok((rounds[0].pairs as PairStats).judge_agreement !== undefined);
  assert.equal(meta(join(dir, "final.safetensors")).method, "reward-guided dpo");
  const results = JSON.parse(readFileSync(join(dir, "results.json"), "utf8"));
  assert.equal(results.dpo.method, "reward-guided dpo");
  assert.equal(results.dpo.reward_guidance.judge, "scripted");
  // plain DPO on the same data would read pairs.jsonl: guided pairs differ in weights
  const plain = join(root, "guided-plain");
  await runDpo(options(plain, { rounds: 1, data: join(dir, "run", "round-1", "data") }));
  assert.ok(!sameWeights(join(plain, "final.safetensors"), join(dir, "final.safetensors")));
});

test("self-play: every round ranks its renders and trains on them; a given folder gains them; not beside reward guidance", async () => {
  const dir = join(root, "self-play");
  const rounds = (await runDpo(options(dir, { selfPlay: true })))!;
  for (const r of [1, 2]) {
    const data = join(dir, "run", `round-${r}`, "data");
    const pairs = readPairs(join(data, RENDER_PAIRS_FILE));
    assert.ok(pairs.length > 0 && pairs.every((p) => p.chosen_sample === -1));
    assert.deepEqual(rounds[r - 1].pairs, JSON.parse(readFileSync(join(data, "stats.json"), "utf8")).render);
    assert.equal(rounds[r - 1].training.steps, Math.ceil(pairs.length / 4));
    assert.equal(meta(join(dir, "run", `round-${r}`, "generator.safetensors")).pairs_kind, "render", "trained on the self-play pairs");
  }
  const results = JSON.parse(readFileSync(join(dir, "results.json"), "utf8"));
  assert.equal(results.dpo.method, "self-play iterative dpo");
  // a given folder ranked without them gains them (its sampler is at hand), its samples kept
  const plain = join(root, "self-play-plain");
  await runDpo(options(plain, { rounds: 1, stopAt: 1 }));
  const given = join(plain, "run", "round-1", "data");
  const samples = readFileSync(recordFile(given, 0), "utf8");
  assert.ok(!existsSync(join(given, RENDER_PAIRS_FILE)));
  await runDpo(options(join(root, "self-play-given"), { rounds: 1, selfPlay: true, data: given }));
  assert.ok(readPairs(join(given, RENDER_PAIRS_FILE)).length > 0);
  assert.equal(readFileSync(recordFile(given, 0), "utf8"), samples);
  await assert.rejects(runDpo(options(join(root, "self-play-guided"), { selfPlay: true, judge: new ScriptedJudge() })), /two pair schemes/);
});

test("train dpo: usage errors are clear", async () => {
  const o = { runDir: "x", out: "x", results: "x", generator: "x", tokenizer: "x", rounds: 1, epochs: 1, batch: 4, lr: 1e-5, beta: 0.1, nllWeight: 0, cfg: 0, uncondAnchor: 0, masks: 1, minMaskRatio: 0, seed: 1, tau: 0.1, prompts: 1, samplesPerPrompt: 2, pairsPerPrompt: 1, temperature: 1, minTagShare: 0.1, maxStages: 4 };
  await assert.rejects(trainDpoCommand({ ...o, rewardGuided: true }, () => {}), /--reward-guided needs --judge/);
  await assert.rejects(trainDpoCommand({ ...o, judge: "fine-tuned" }, () => {}), /only used with --reward-guided/);
  await assert.rejects(trainDpoCommand({ ...o, rewardGuided: true, judge: "nope" }, () => {}), /unknown judge 'nope'.*fine-tuned/);
  await assert.rejects(trainDpoCommand({ ...o, pairs: 100, minTagShare: 0.25 }, () => {}), /--min-tag-share must be above 0 and at most 0.2/);
  await assert.rejects(trainDpoCommand({ ...o, pairs: 100, data: "x" }, () => {}), /with --data, later rounds are balanced as its balance.json records/);
});

test.after(() => rmSync(root, { recursive: true, force: true }));
