// Replay against live runs: a recorded generation plus a judge's verdicts must give the same
// choices, images and costs as running none, best-of-n and parm live (METHOD.md section 6).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { EmbeddedStepGenerator } from "../../src/generator/embedded-steps.js";
import { frontierChoices } from "../../src/eval/frontier.js";
import { decodeTokens } from "../../src/generator/pipeline.js";
import { NEEDS, type RecordedVerdicts, type Recording, cachedVerdicts, firstClear, keptRecording, keptVerdicts, prediction, readRecording, readRecordingHeader, recordPaths, replayChoice, replayStrategy, verdictsFile, writeRecording } from "../../src/eval/replay.js";
import type { Judge, JudgeRequest, Verdict } from "../../src/judges/judge.js";
import type { RGBImage } from "../../src/shapes/image.js";
import { strategyByName, type StrategyContext } from "../../src/strategies/index.js";
import { MAX_SURVIVORS, PARM_RULE } from "../../src/strategies/parm-rule.js";
import { precision } from "../../src/util/precision.js";
import { tinyPipeline } from "../fixtures/tiny.js";

const { generator, tokenizer } = tinyPipeline();
const T = 6;
const N = 5;
const prompt = "a photo of two red circles";
const ctx = (judge?: Judge): StrategyContext => ({ generator: new EmbeddedStepGenerator({ generator, tokenizer }), n: N, judge, sample: { steps: T, cfg: 1.5, temperature: 1, confidenceTemperature: 4.5 } });

const mean = (img: RGBImage, c: number) => {
  let s = 0;
  for (let i = c; i < img.data.length; i += 3) s += img.data[i];
  return s / (img.data.length / 3) / 255;
};

/** Answers from pixels only, so live and replayed questions about the same image agree. */
class PixelJudge implements Judge {
  readonly name = "pixels";
  constructor(private readonly potentialCut: number) {}
  async judge(requests: readonly JudgeRequest[]): Promise<Verdict[]> {
    return requests.map((r) => ({
      pYes: r.question === "clarity" ? (mean(r.image, 2) > 0.459 || r.step! >= 3 ? 0.8 : 0.2) : r.question === "potential" ? (mean(r.image, 1) > this.potentialCut ? 0.7 : 0.3 - mean(r.image, 0) / 10) : mean(r.image, 0),
    }));
  }
}

for (const cut of [0, 0.5462, 2]) {
  test(`replayed none, best-of-n and parm equal live runs (potential cut-off ${cut})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "replay-"));
    const judge = new PixelJudge(cut);
    const seeds = [3, 4, 5, 6];
    for (const name of ["none", "best-of-n", "parm"] as const) {
      const live = await strategyByName(name).run(ctx(judge), prompt, seeds);
      const replayed = await replayStrategy(name, dir, "pixels").run(ctx(judge), prompt, seeds);
      live.forEach((l, i) => {
        const r = replayed[i];
        assert.deepEqual(Array.from(r.tokens!), Array.from(l.tokens!), `${name} seed ${seeds[i]}: same image`);
        assert.equal(r.nfe, l.nfe, `${name} seed ${seeds[i]}: same NFE`);
        assert.equal(r.judgeCalls, l.judgeCalls, `${name} seed ${seeds[i]}: same judge calls`);
        if (name === "parm") assert.equal(r.trace.via, l.trace.via);
        // the rejected paths: the same fates, scores and final images
        const fates = (x: typeof l) => x.selection && { chosen: x.selection.chosen, rejected: x.selection.rejected.map((p) => ({ ...p, image: p.image && Array.from(p.image.data) })) };
        assert.deepEqual(fates(r), fates(l), `${name} seed ${seeds[i]}: same rejected paths`);
        if (name !== "none") assert.equal(l.selection?.rejected.length, N - 1);
      });
      if (name === "parm") {
        const cuts = live.map((l) => (l.trace.paths as { cutAfter: number | null }[]).filter((p) => p.cutAfter !== null).length);
        // the three cut-offs cover: nothing cut by potential (the survivor budget stops all but
        // its best), some cut, everything cut (the fallback)
        if (cut === 0) assert.ok(cuts.every((k) => k === N - MAX_SURVIVORS), `cuts ${cuts}`);
        if (cut === 0.5462) assert.ok(cuts.some((k) => k > 0 && k < N), `cuts ${cuts}`);
        if (cut === 2) assert.ok(live.every((l) => l.trace.via === "fallback"));
      }
    }
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith(".bin")).sort(), seeds.map((s) => `${s}.bin`).sort(), "one recording per seed, shared by the strategies");
  });
}

/** Counts the questions put to `inner`, each as question, step and image. */
class CountingJudge implements Judge {
  readonly name = "pixels";
  asked: string[] = [];
  constructor(private readonly inner: Judge) {}
  async judge(requests: readonly JudgeRequest[]): Promise<Verdict[]> {
    this.asked.push(...requests.map((r) => `${r.question}@${r.step ?? "final"}:${createHash("sha1").update(r.image.data).digest("hex")}`));
    return this.inner.judge(requests);
  }
}

/** The verdicts as they were cached before they were lazy: clarity and potential at every step before the last. */
async function fullVerdicts(r: Recording, judge: Judge): Promise<RecordedVerdicts> {
  const rows = { clarity: [] as number[][], potential: [] as number[][] };
  for (let i = 0; i < r.n; i++) {
    const images = decodeTokens(tokenizer, Array.from({ length: r.steps - 1 }, (_, t) => prediction(r, i, t)));
    for (const q of ["clarity", "potential"] as const) rows[q].push((await judge.judge(images.map((image, t) => ({ question: q, prompt, image, step: t, steps: r.steps })))).map((x) => x.pYes));
  }
  const finals = decodeTokens(tokenizer, Array.from({ length: r.n }, (_, i) => prediction(r, i, r.steps - 1)));
  return { ...rows, outcome: (await judge.judge(finals.map((image) => ({ question: "outcome" as const, prompt, image })))).map((x) => x.pYes) };
}

test("lazy verdicts ask the judge only what PARM reads, and replay as the full verdicts do", async () => {
  const dir = mkdtempSync(join(tmpdir(), "imagecot-lazy-"));
  let cuts = 0;
  const clearSteps = new Set<number>();
  for (const seed of [3, 4, 5, 6]) {
    const judge = new CountingJudge(new PixelJudge(0.5462));
    const r = await recordPaths({ generator, tokenizer }, prompt, seed, N, ctx().sample);
    const lazy = await cachedVerdicts(dir, seed, "pixels", r, { generator, tokenizer }, judge, prompt, NEEDS.parm);
    const cached = judge.asked;
    // the cache asks clarity and potential as PARM without a survivor budget would (which reads
    // more), each image once; live PARM asks some of them; the cache adds every final's outcome
    judge.asked = [];
    const [live] = await strategyByName("parm").run(ctx(judge), prompt, [seed]);
    const perPath = judge.asked.filter((q) => !q.startsWith("outcome"));
    const questions = cached.filter((q) => !q.startsWith("outcome"));
    assert.ok(perPath.every((q) => questions.includes(q)), `seed ${seed}: every question of a live run`);
    const full = await fullVerdicts(r, judge);
    const noBudget = full.clarity!.reduce((a, row) => a + (firstClear(row) < 0 ? row.length : firstClear(row) + 2), 0);
    assert.equal(questions.length, noBudget, `seed ${seed}: clarity up to each path's first clear step and potential there, no more`);
    assert.equal(cached.filter((q) => q.startsWith("outcome")).length, N);
    cuts += (live.trace.paths as { cutAfter: number | null }[]).filter((p) => p.cutAfter !== null).length;

    lazy.clarity!.forEach((row, i) => {
      const s = firstClear(full.clarity![i]);
      clearSteps.add(s);
      assert.deepEqual(row, full.clarity![i].slice(0, s < 0 ? T - 1 : s + 1), `path ${i}: clarity up to its first clear step`);
      assert.deepEqual(lazy.potential![i], s < 0 ? [] : [...Array<null>(s).fill(null), full.potential![i][s]], `path ${i}: potential at that step only`);
    });
    for (let n = 1; n <= N; n++) assert.deepEqual(frontierChoices(lazy, n, T, 2), frontierChoices(full, n, T, 2), `seed ${seed}, N=${n}: the same choices, costs and traces`);

    // a file of every step (as cached before) is read as it is: a superset, nothing asked
    const file = verdictsFile(dir, seed, "pixels");
    const { for: key } = JSON.parse(readFileSync(file, "utf8")) as { for: { clearAt?: number } };
    assert.equal(key.clearAt, 0.5, "a lazy file names the threshold it stopped at");
    const { clearAt: _, ...fullKey } = key;
    writeFileSync(file, JSON.stringify({ ...full, for: fullKey }));
    judge.asked = [];
    assert.deepEqual(await cachedVerdicts(dir, seed, "pixels", r, { generator, tokenizer }, judge, prompt, NEEDS.parm), full);
    assert.equal(judge.asked.length, 0);
    // a lazy file stopped at another threshold would be incomplete here: asked afresh
    writeFileSync(file, JSON.stringify({ ...lazy, for: { ...key, clearAt: 0.9 } }));
    assert.deepEqual(await cachedVerdicts(dir, seed, "pixels", r, { generator, tokenizer }, judge, prompt, NEEDS.parm), lazy);
    assert.equal(judge.asked.length, cached.length);
  }
  assert.ok(cuts > 0, "some paths cut");
  assert.ok(clearSteps.size > 1 && ![...clearSteps].every((s) => s === T - 2), `paths clear at several steps: ${[...clearSteps]}`);
});

test("a replay of verdicts that lack what the rule reads fails instead of reading a path as never clear", () => {
  const outcome = [0.5];
  assert.throws(() => replayChoice("parm", 1, 6, 2, { clarity: [[0.1, 0.1]], potential: [[]], outcome }), /lack path 0's clarity at every step before the last/);
  assert.throws(() => replayChoice("parm", 1, 6, 2, { clarity: [[0.1, 0.9]], potential: [[]], outcome }), /lack path 0's potential at its first clear step 1/);
});

test("replayChoice: parm cuts on potential, falls back to the lowest P(no), and charges only computed steps", () => {
  const T6 = 6;
  const clarity = [[0.1, 0.9, 0.9, 0.9, 0.9], [0.1, 0.1, 0.1, 0.9, 0.9], [0.1, 0.1, 0.1, 0.1, 0.1]];
  const potential = [[0, 0.2, 0, 0, 0], [0, 0, 0, 0.4, 0], [0, 0, 0, 0, 0]];
  const outcome = [0.5, 0.6, 0.7];
  const c = replayChoice("parm", 3, T6, 2, { clarity, potential, outcome });
  // path 0 cut after step 1 (2 steps), path 1 cut after step 3 (4 steps), path 2 never clear: survives (6 steps)
  assert.equal(c.path, 2);
  assert.equal(c.nfe, (2 + 4 + 6) * 2);
  assert.equal(c.judgeCalls, 2 + 1 + (4 + 1) + 5 + 1); // clarity + potential per path, outcome of the survivor
  const all = replayChoice("parm", 2, T6, 2, { clarity: clarity.slice(0, 2), potential: potential.slice(0, 2), outcome: [0.9, 0.9] });
  assert.equal(all.path, 1, "every path cut: the one with the highest P(yes) on potential is finished");
  assert.equal(all.nfe, (2 + 4) * 2 + (T6 - 4) * 2);
  assert.equal(all.trace.via, "fallback");
});

test("a replay of n paths from a larger recording equals a live run with n paths", async () => {
  const dir = mkdtempSync(join(tmpdir(), "replay-prefix-"));
  const judge = new PixelJudge(0.5462);
  const seeds = [3, 4];
  await replayStrategy("parm", dir, "pixels").run(ctx(judge), prompt, seeds); // records N = 5
  const fewer = (j: Judge): StrategyContext => ({ ...ctx(j), n: 3 });
  for (const name of ["best-of-n", "parm"] as const) {
    const live = await strategyByName(name).run(fewer(judge), prompt, seeds);
    const replayed = await replayStrategy(name, dir, "pixels").run(fewer(judge), prompt, seeds);
    live.forEach((l, i) => {
      assert.deepEqual(Array.from(replayed[i].tokens!), Array.from(l.tokens!), `${name} seed ${seeds[i]}: same image`);
      assert.equal(replayed[i].nfe, l.nfe, `${name}: charged for 3 paths`);
      assert.equal(replayed[i].judgeCalls, l.judgeCalls);
      assert.equal(replayed[i].selection?.rejected.length, 2);
    });
  }
  assert.deepEqual(seeds.map((s) => readRecording(join(dir, `${s}.bin`)).n), [5, 5], "nothing recorded again: the 5-path recordings stand");
});

test("cached verdicts are kept per recording and judge id: another N, T, sampling or judge is asked afresh", async () => {
  const dir = mkdtempSync(join(tmpdir(), "imagecot-verdicts-"));
  let asked = 0;
  const judgeWith = (id: string): Judge => ({ name: "stub", id, judge: async (rs) => ((asked += rs.length), rs.map(() => ({ pYes: 0.7 }))) });
  const recording = (n: number): Recording => ({ seed: 3, n, steps: 3, cfg: 1.5, tokens: 16, predictions: new Uint16Array(n * 3 * 16) });
  const ask = (r: Recording, id: string) => cachedVerdicts(dir, 3, "stub", r, { generator, tokenizer }, judgeWith(id), "a photo of two circles", ["outcome"]);
  await ask(recording(2), "a");
  assert.equal(asked, 2);
  await ask(recording(2), "a");
  assert.equal(asked, 2, "the same recording and judge: all from the cache");
  await ask(recording(2), "b");
  assert.equal(asked, 4, "a retrained judge (another id) is asked again");
  const v = await ask(recording(3), "b");
  assert.equal(asked, 7, "a recording of other N is answered afresh");
  assert.equal(v.outcome!.length, 3);
  await ask({ ...recording(3), temperature: 0.7 }, "b");
  assert.equal(asked, 10, "a recording made again at another temperature is answered afresh");
  await ask({ ...recording(3), temperature: 0.7, flatPenalty: 0 }, "b");
  assert.equal(asked, 10, "a penalty of 0 is Show-o's rule, what a recording without one was made with: from the cache");
  await ask({ ...recording(3), temperature: 0.7, flatPenalty: 2 }, "b");
  assert.equal(asked, 13, "a recording made again with the flat-background penalty is answered afresh");
});

test("a recording is kept for the settings it was decoded with and at most its paths: another temperature or flat-background penalty is recorded again", () => {
  const dir = mkdtempSync(join(tmpdir(), "imagecot-kept-"));
  const file = join(dir, "r.bin");
  const sample = { steps: 3, cfg: 1.5, temperature: 0.7, confidenceTemperature: 4.5 };
  writeRecording(file, { seed: 3, n: 2, steps: 3, cfg: 1.5, temperature: 0.7, confidenceTemperature: 4.5, tokens: 16, predictions: new Uint16Array(2 * 3 * 16) });
  assert.ok(keptRecording(file, 2, sample));
  assert.ok(keptRecording(file, 1, sample), "fewer paths are read from the first ones");
  assert.equal(keptRecording(file, 3, sample), null, "more paths than recorded: recorded again");
  assert.equal(keptRecording(file, 2, { ...sample, temperature: 1 }), null);
  assert.equal(keptRecording(file, 2, { ...sample, confidenceTemperature: 2 }), null);
  assert.equal(keptRecording(file, 2, { ...sample, cfg: 1 }), null);
  assert.equal(keptRecording(file, 2, { ...sample, flatPenalty: 2 }), null, "decoded without the flat-background penalty: recorded again with it");
  assert.ok(keptRecording(file, 2, { ...sample, flatPenalty: 0 }), "a penalty of 0 is the rule it was decoded with");
  writeRecording(file, { seed: 3, n: 2, steps: 3, cfg: 1.5, temperature: 0.7, confidenceTemperature: 4.5, flatPenalty: 2, tokens: 16, predictions: new Uint16Array(2 * 3 * 16) });
  assert.equal(readRecording(file).flatPenalty, 2, "the penalty is kept in the recording's header");
  assert.ok(keptRecording(file, 2, { ...sample, flatPenalty: 2 }));
  assert.equal(keptRecording(file, 2, sample), null, "decoded with the penalty: not kept for Show-o's rule");
  writeRecording(file, { seed: 3, n: 2, steps: 3, cfg: 1.5, tokens: 16, predictions: new Uint16Array(2 * 3 * 16) });
  assert.equal(keptRecording(file, 2, sample), null, "an older recording, its temperatures unknown, is made again");
});

test("keptVerdicts: a verdicts file is kept for the recording beside it and the judge id it was asked of, read from the recording's header alone", () => {
  const dir = mkdtempSync(join(tmpdir(), "imagecot-kept-verdicts-"));
  const file = join(dir, "3.bin");
  const { predictions: _, ...settings } = { seed: 3, n: 2, steps: 3, cfg: 1.5, temperature: 0.7, confidenceTemperature: 4.5, flatPenalty: 2, tokens: 16, predictions: new Uint16Array(2 * 3 * 16) };
  writeRecording(file, { ...settings, predictions: new Uint16Array(2 * 3 * 16) });
  const header = readRecordingHeader(file);
  assert.deepEqual(header, settings);
  const vfile = verdictsFile(dir, 3, "stub");
  writeFileSync(vfile, JSON.stringify({ outcome: [1, 0], for: { n: 2, steps: 3, cfg: 1.5, temperature: 0.7, confidenceTemperature: 4.5, flatPenalty: 2, judge: "stub a" } }));
  assert.deepEqual(keptVerdicts(vfile, header, "stub a")?.verdicts, { outcome: [1, 0] });
  assert.equal(keptVerdicts(vfile, header, "stub b"), null, "another judge's weights");
  assert.equal(keptVerdicts(vfile, { ...header, flatPenalty: 0 }, "stub a"), null, "a recording decoded with Show-o's rule");
  assert.equal(keptVerdicts(vfile, { ...header, n: 4 }, "stub a"), null, "a recording of more paths");
  assert.equal(keptVerdicts(join(dir, "none.json"), header, "stub a"), null, "no file");
  rmSync(dir, { recursive: true, force: true });
});

test("a replayed image is of its recording's precision, kept in the recording's header, and of none where an older recording lacks it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "imagecot-replay-precision-"));
  const [fresh] = await replayStrategy("none", dir, null).run(ctx(), prompt, [3]);
  assert.equal(readRecording(join(dir, "3.bin")).precision, precision(), "recordPaths keeps what it decoded in");
  assert.equal(fresh.precision, precision());
  const other = precision() === "float32" ? "bfloat16" : "float32";
  writeRecording(join(dir, "3.bin"), { ...readRecording(join(dir, "3.bin")), precision: other });
  const [elsewhere] = await replayStrategy("none", dir, null).run(ctx(), prompt, [3]);
  assert.equal(elsewhere.precision, other, "a recording decoded elsewhere: its precision, not the replaying process's");
  const { precision: _, ...older } = readRecording(join(dir, "3.bin"));
  writeRecording(join(dir, "3.bin"), older);
  const [unknown] = await replayStrategy("none", dir, null).run(ctx(), prompt, [3]);
  assert.equal(unknown.precision, null);
  rmSync(dir, { recursive: true });
});

test("the strategies that run PARM's rule, live and replayed, carry it for a run's settings; the others none", () => {
  for (const name of ["parm", "parm++", "parm++-no-reason"]) assert.deepEqual(strategyByName(name).rule, PARM_RULE, name);
  for (const name of ["none", "best-of-n", "step-best-of-n"]) assert.equal(strategyByName(name).rule, undefined, name);
  assert.deepEqual(replayStrategy("parm", "unused", "pixels").rule, PARM_RULE);
  assert.equal(replayStrategy("best-of-n", "unused", "pixels").rule, undefined);
});
