// Strategies on a tiny untrained generator with scripted judges: choices, cuts, costs, rounds.
import assert from "node:assert/strict";
import { test } from "node:test";
import { EmbeddedStepGenerator } from "../../src/generator/embedded-steps.js";
import type { Judge, JudgeRequest, Reflection, Verdict } from "../../src/judges/judge.js";
import type { RGBImage } from "../../src/shapes/image.js";
import { pngBase64 } from "../../src/strategies/events.js";
import { MAX_ROUNDS } from "../../src/strategies/parm-plus.js";
import { MAX_SURVIVORS } from "../../src/strategies/parm-rule.js";
import { strategyByName, type StrategyContext } from "../../src/strategies/index.js";
import { tinyPipeline } from "../fixtures/tiny.js";

const { generator, tokenizer } = tinyPipeline();
const T = 6;
const N = 4;
const prompt = "a photo of two red circles";

/** A deterministic score of an image: its mean red value. */
const redness = (img: RGBImage) => {
  let s = 0;
  for (let i = 0; i < img.data.length; i += 3) s += img.data[i];
  return s / (img.data.length / 3) / 255;
};

class ScriptedJudge implements Judge {
  readonly name = "scripted";
  calls: JudgeRequest[] = [];
  reflections = 0;
  constructor(
    private readonly answer: (r: JudgeRequest) => number,
    private readonly failingReflections = 0,
    /** P(yes) of each reflection in turn, all failing ones (instead of failingReflections) */
    private readonly reflectionScores?: number[],
  ) {}
  async judge(requests: readonly JudgeRequest[]): Promise<Verdict[]> {
    this.calls.push(...requests);
    return requests.map((r) => ({ pYes: this.answer(r) }));
  }
  async reflect(_prompt: string, _image: RGBImage): Promise<Reflection> {
    this.reflections++;
    if (this.reflectionScores) return { pYes: this.reflectionScores[this.reflections - 1], reason: "expected two circles, found three" };
    return this.reflections <= this.failingReflections ? { pYes: 0.1, reason: "expected two circles, found three" } : { pYes: 0.9, reason: null };
  }
}

const ctx = (judge?: Judge): StrategyContext => ({ generator: new EmbeddedStepGenerator({ generator, tokenizer }), n: N, judge, sample: { steps: T, cfg: 1.5, temperature: 1, confidenceTemperature: 4.5 } });
const byQuestion = (q: Record<string, (r: JudgeRequest) => number>) => (r: JudgeRequest) => q[r.question](r);

test("best-of-n keeps the final image the judge scores highest, at N full paths of cost", async () => {
  const judge = new ScriptedJudge((r) => redness(r.image));
  const [r] = await strategyByName("best-of-n").run(ctx(judge), prompt, [11]);
  const scores = r.trace.outcome as number[];
  assert.equal(scores.length, N);
  assert.equal(r.trace.chosen, scores.indexOf(Math.max(...scores)));
  assert.equal(redness(r.image), Math.max(...scores));
  assert.equal(r.nfe, N * T * 2);
  assert.equal(r.judgeCalls, N);
  assert.ok(judge.calls.every((c) => c.question === "outcome"));
});

test("step-best-of-n branches N candidates every step and asks the process question of each", async () => {
  const judge = new ScriptedJudge((r) => redness(r.image));
  const [r] = await strategyByName("step-best-of-n").run(ctx(judge), prompt, [11]);
  assert.equal(r.nfe, N * T * 2);
  assert.equal(r.judgeCalls, N * T);
  assert.deepEqual(judge.calls.map((c) => c.step), Array.from({ length: N * T }, (_, i) => Math.floor(i / N)));
  assert.ok(judge.calls.every((c) => c.question === "process" && c.steps === T));
  const last = (r.trace.steps as { process: number[]; chosen: number }[])[T - 1];
  assert.equal(redness(r.image), last.process[last.chosen], "the final image is the best of the last step's candidates");
});

test("parm with every potential 'yes' keeps the MAX_SURVIVORS most promising paths, stops the others there, and picks between them by outcome", async () => {
  const judge = new ScriptedJudge(byQuestion({ clarity: (r) => (r.step! >= 2 ? 0.9 : 0.1), potential: (r) => 0.5 + redness(r.image) / 2, outcome: (r) => redness(r.image) }));
  const [p] = await strategyByName("parm").run(ctx(judge), prompt, [11]);
  assert.equal(MAX_SURVIVORS, 3);
  const paths = p.trace.paths as { id: number; potential: { pYes: number }; cutAfter: number | null; outcome: number | null }[];
  const best = [...paths].sort((a, b) => b.potential.pYes - a.potential.pYes).slice(0, MAX_SURVIVORS).map((x) => x.id).sort();
  assert.deepEqual(paths.filter((x) => x.cutAfter === null).map((x) => x.id), best, "the highest potentials go on");
  assert.ok(paths.every((x) => x.cutAfter === (best.includes(x.id) ? null : 2)), "the others stop at the step the budget filled");
  assert.equal(p.trace.chosen, best.reduce((a, b) => (paths[b].outcome! > paths[a].outcome! ? b : a)));
  assert.equal(p.nfe, 2 * (N * 3 + MAX_SURVIVORS * (T - 3)));
  // clarity at steps 0, 1, 2 for every path; potential once each; outcome of the survivors
  assert.equal(p.judgeCalls, N * 3 + N + MAX_SURVIVORS);
});

test("parm truncates a path the moment its potential is 'no'; the others are untouched", async () => {
  // at step 2 the potential question says no to paths 1 and 3 (asked in path order)
  let k = 0;
  const judge = new ScriptedJudge(byQuestion({ clarity: (r) => (r.step! >= 2 ? 0.9 : 0.1), potential: () => (k++ % 2 === 0 ? 0.9 : 0.2), outcome: (r) => redness(r.image) }));
  const [r] = await strategyByName("parm").run(ctx(judge), prompt, [11]);
  const paths = r.trace.paths as { cutAfter: number | null; outcome: number | null }[];
  assert.deepEqual(paths.map((p) => p.cutAfter), [null, 2, null, 2]);
  assert.ok(paths[1].outcome === null && paths[3].outcome === null && paths[0].outcome !== null);
  assert.equal(r.nfe, 2 * (N * 3 + 2 * (T - 3)), "cut paths cost nothing after step 2");
  assert.ok([0, 2].includes(r.trace.chosen as number));
});

test("parm with every path cut finishes the one with the lowest P(no)", async () => {
  let k = 0;
  const pots = [0.3, 0.45, 0.1, 0.2]; // path 1 is the least bad
  const judge = new ScriptedJudge(byQuestion({ clarity: () => 0.9, potential: () => pots[k++], outcome: () => 1 }));
  const [r] = await strategyByName("parm").run(ctx(judge), prompt, [11]);
  assert.equal(r.trace.via, "fallback");
  assert.equal(r.trace.chosen, 1);
  assert.equal(r.nfe, 2 * (N * 1 + (T - 1)), "N paths for one step, then the rescued path to the end");
  assert.ok(!judge.calls.some((c) => c.question === "outcome"));
});

test("parm++ reflects, regenerates with the reason while the judge says no, at most 3 rounds", async () => {
  const answer = byQuestion({ clarity: () => 0.9, potential: () => 0.9, outcome: (r) => redness(r.image) });
  const twice = new ScriptedJudge(answer, 2);
  const [r] = await strategyByName("parm++").run(ctx(twice), prompt, [11]);
  const rounds = r.trace.rounds as { round: number; reason?: string }[];
  assert.equal(rounds.length, 3, "the first image and two corrections");
  assert.equal(rounds[1].reason, "expected two circles, found three");
  assert.equal(twice.reflections, 3, "the third image passes reflection");
  const last = (r.trace.rounds as { chosen: number }[])[2];
  assert.equal(r.selection?.chosen, last.chosen, "the rejected paths are the last round's");
  assert.deepEqual(r.selection?.rejected.map((p) => p.path), Array.from({ length: N }, (_, id) => id).filter((id) => id !== last.chosen));
  const always = new ScriptedJudge(answer, 99);
  const [s] = await strategyByName("parm++").run(ctx(always), prompt, [11]);
  assert.equal((s.trace.rounds as unknown[]).length, 1 + MAX_ROUNDS);
  assert.equal(always.reflections, MAX_ROUNDS + 1, "the last round's image is reflected on too, to choose among the rounds");
  assert.equal(s.judgeCalls, always.reflections + always.calls.length, "every reflection and question is a judge call");
  const [n] = await strategyByName("parm++-no-reason").run(ctx(new ScriptedJudge(answer, 1)), prompt, [11]);
  assert.equal((n.trace.rounds as { reason?: string }[])[1].reason, "");
});

test("parm++ returns the best-judged round's image when no round passes", async () => {
  const answer = byQuestion({ clarity: () => 0.9, potential: () => 0.9, outcome: (r) => redness(r.image) });
  const scores = [0.3, 0.1, 0.45, 0.2];
  const judge = new ScriptedJudge(answer, 0, scores);
  const [r] = await strategyByName("parm++").run(ctx(judge), prompt, [11]);
  const rounds = r.trace.rounds as { chosen: number; reflection: { pYes: number } }[];
  assert.deepEqual(rounds.map((x) => x.reflection.pYes), scores);
  assert.equal(r.trace.returned_round, 2);
  assert.equal(r.selection?.chosen, rounds[2].chosen, "the rejected paths are the returned round's");
  // the same run's round 2 alone: the image returned is that round's chosen image
  const again = new ScriptedJudge(answer, 0, scores);
  const events: { type: string; image?: string }[] = [];
  await strategyByName("parm++").run({ ...ctx(again), onEvent: (e) => void events.push(e) }, prompt, [11]);
  const chosen = events.filter((e) => e.type === "chosen");
  assert.equal(chosen.length, 4);
  assert.equal(pngBase64(r.image), chosen[2].image);
});

test("judging strategies without a judge fail clearly", async () => {
  await assert.rejects(strategyByName("parm").run(ctx(), prompt, [1]), /strategy 'parm' needs a judge/);
  const plain: Judge = { name: "plain", judge: async (rs) => rs.map(() => ({ pYes: 1 })) };
  await assert.rejects(strategyByName("parm++").run(ctx(plain), prompt, [1]), /needs a reflecting judge; 'plain' is not one/);
});
