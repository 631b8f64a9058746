// PARM's thresholds on held-out paths: collected paths replayed as a recording; with nothing cut
// PARM is best-of-N at best-of-N's NFE, with everything cut it finishes one path (cut where the
// clarity threshold makes it clear); the choice keeps to the NFE budget. A scripted judge on the tiny tokenizer's images.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { parmValidation, recordingOf } from "../../src/eval/parm-val.js";
import { prediction } from "../../src/eval/replay.js";
import { decodeTokens } from "../../src/generator/pipeline.js";
import type { CollectedPrompt } from "../../src/judges/collect.js";
import type { Judge, JudgeRequest, Verdict } from "../../src/judges/judge.js";
import { mulberry32 } from "../../src/util/prng.js";
import { tinyPipeline } from "../fixtures/tiny.js";

const pipeline = tinyPipeline();
after(() => (pipeline.generator.dispose(), pipeline.tokenizer.dispose()));
const T = 5;
const N = 4;
const TOKENS = 16;

/** Clear from step 1; potential and outcome from the image's mean red (the same image, the same answer). */
class MeanJudge implements Judge {
  readonly name = "mean";
  async judge(requests: readonly JudgeRequest[]): Promise<Verdict[]> {
    return requests.map((r) => {
      const px = r.image.data;
      let red = 0;
      for (let i = 0; i < px.length; i += 3) red += px[i];
      const m = red / (px.length / 3) / 255;
      return { pYes: r.question === "clarity" ? (r.step! >= 1 ? 0.9 : 0.1) : m };
    });
  }
}

function prompts(count: number): CollectedPrompt[] {
  const rand = mulberry32(7);
  return Array.from({ length: count }, (_, k) => ({
    meta: { tag: "single_object", include: [{ class: "circle", count: 1 }], prompt: "a photo of a circle" },
    paths: Array.from({ length: N }, (_, i) => ({
      path: i,
      seed: 100 * k + i,
      predictions: Array.from({ length: T }, () => Array.from({ length: TOKENS }, () => Math.floor(rand() * 15))),
      correct: (k + i) % 3 === 0,
      detections: [],
      rollout: null,
      clearFrom: 0,
    })),
  }));
}

test("recordingOf: path i's prediction after step t where the replay reads it", () => {
  const [p] = prompts(1);
  const r = recordingOf(p, 1.75);
  assert.deepEqual([r.n, r.steps, r.tokens, r.cfg], [N, T, TOKENS, 1.75]);
  assert.deepEqual([...prediction(r, 2, 3)], p.paths[2].predictions[3]);
});

test("nothing cut is best-of-N; everything cut finishes one path; the choice keeps to the budget", async () => {
  const ps = prompts(6);
  const r = await parmValidation(pipeline, new MeanJudge(), ps, { clearAt: [0.5, 0.05], keepFrom: [0, 1.01], maxSurvivors: [N], maxNfeShare: 0.6, cfg: 1.75 });
  assert.equal(r.prompts, 6);
  assert.equal(r.oracle, ps.filter((p) => p.paths.some((q) => q.correct)).length / 6);
  assert.equal(r.best_of_n.nfe_per_image, N * T * 2);
  const [keepAll, cutAll, keepAllEarly, cutAllEarly] = r.points;
  assert.deepEqual(r.points.map((x) => [x.clear_at, x.keep_from]), [[0.5, 0], [0.5, 1.01], [0.05, 0], [0.05, 1.01]]);
  assert.deepEqual([keepAll.accuracy, keepAll.nfe_share], [r.best_of_n.accuracy, 1], "the same choice (outcome among all), the same NFE");
  assert.deepEqual(keepAll.vs_best_of_n_ci95, [0, 0], "the same choice on every prompt: no difference in any resample");
  // every path cut at its first clear step (step 1: two steps each), then one finished from there
  assert.equal(cutAll.nfe_per_image, (N * 2 + (T - 2)) * 2);
  // a clarity threshold of 0.05: clear at step 0, so cut after one step
  assert.equal(cutAllEarly.nfe_per_image, (N * 1 + (T - 1)) * 2);
  assert.equal(keepAllEarly.accuracy, keepAll.accuracy);
  assert.deepEqual(r.chosen, [cutAll, cutAllEarly].sort((a, b) => b.accuracy - a.accuracy || a.nfe_per_image - b.nfe_per_image)[0], "the more accurate of the pairs within 0.6 of best-of-N's NFE");
  const none = await parmValidation(pipeline, new MeanJudge(), ps, { clearAt: [0.5], keepFrom: [0], maxSurvivors: [N], maxNfeShare: 0.6, cfg: 1.75 });
  assert.equal(none.chosen, null);
});

test("a survivor budget of one: every path passes at step 1, the best by potential goes on alone", async () => {
  const ps = prompts(4);
  const r = await parmValidation(pipeline, new MeanJudge(), ps, { clearAt: [0.5], keepFrom: [0], maxSurvivors: [1, N], maxNfeShare: 1, cfg: 1.75 });
  const [one, all] = r.points;
  assert.deepEqual([one.max_survivors, all.max_survivors], [1, N]);
  assert.equal(one.nfe_per_image, ((N - 1) * 2 + T) * 2, "three paths stop after step 1, one runs to the end");
  assert.equal(all.nfe_per_image, N * T * 2);
  // the judge's potential and outcome are both the image's mean red: the one kept is the best at step 1
  const best = await Promise.all(ps.map(async (p) => {
    const rec = recordingOf(p, 1.75);
    const red = await new MeanJudge().judge(decodeTokens(pipeline.tokenizer, p.paths.map((_, i) => prediction(rec, i, 1))).map((image) => ({ question: "potential" as const, prompt: "", image })));
    const k = red.reduce((b, v, i) => (v.pYes > red[b].pYes ? i : b), 0);
    return p.paths[k].correct ? 1 : 0;
  }));
  assert.equal(one.accuracy, best.reduce<number>((a, b) => a + b, 0) / ps.length);
  // the paired interval holds the difference it resamples, on the scale of one prompt in four
  const [lo, hi] = one.vs_best_of_n_ci95;
  const diff = one.accuracy - r.best_of_n.accuracy;
  assert.ok(lo <= diff && diff <= hi && lo >= -1 && hi <= 1, `${lo} <= ${diff} <= ${hi}`);
  for (const x of [lo, hi]) assert.ok(Math.abs(x * ps.length - Math.round(x * ps.length)) < 1e-9, "a whole number of prompts");
});

test("kept answers: a rerun asks the judge nothing, and another judge's answers are not reused", async () => {
  const ps = prompts(3);
  const cache = mkdtempSync(join(tmpdir(), "parm-val-"));
  try {
    const o = { clearAt: [0.5], keepFrom: [0.5], maxSurvivors: [2], maxNfeShare: 0.6, cfg: 1.75, cache };
    const first = await parmValidation(pipeline, new MeanJudge(), ps, o);
    const mute: Judge = { name: "mean", judge: async () => assert.fail("asked again") };
    assert.deepEqual(await parmValidation(pipeline, mute, ps, o), first);
    let asked = 0;
    const other: Judge = { name: "mean", id: "mean retrained", judge: async (rs) => ((asked += rs.length), new MeanJudge().judge(rs)) };
    await parmValidation(pipeline, other, ps, o);
    assert.ok(asked > 0, "another id: asked afresh");
    // the same seeds, other paths (collected again): asked afresh
    asked = 0;
    const again = ps.map((p) => ({ ...p, paths: p.paths.map((q) => ({ ...q, predictions: q.predictions.map((pred) => pred.map((x) => (x + 1) % 15)) })) }));
    const counting: Judge = { name: "mean", judge: async (rs) => ((asked += rs.length), new MeanJudge().judge(rs)) };
    await parmValidation(pipeline, counting, again, o);
    assert.ok(asked > 0, "other paths: asked afresh");
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});
