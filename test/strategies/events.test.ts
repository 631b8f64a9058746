// Live events: watching a run never changes it, and the events tell the whole tree.
import assert from "node:assert/strict";
import { test } from "node:test";
import { EmbeddedStepGenerator } from "../../src/generator/embedded-steps.js";
import { decodePng } from "../../src/shapes/image.js";
import type { StrategyEvent } from "../../src/strategies/events.js";
import { thumbnail } from "../../src/strategies/events.js";
import { STRATEGIES, strategyByName, type StrategyContext } from "../../src/strategies/index.js";
import { PROMPT, ScriptedJudge, TINY_SAMPLE, tinyPipeline } from "../server/fixtures.js";

const generator = new EmbeddedStepGenerator(tinyPipeline());
const N = 4;
const T = TINY_SAMPLE.steps;
const ctx = (onEvent?: (e: StrategyEvent) => void): StrategyContext => ({ generator, sample: TINY_SAMPLE, n: N, judge: new ScriptedJudge(1), onEvent });

async function watched(name: string) {
  const events: StrategyEvent[] = [];
  const [r] = await strategyByName(name).run(ctx((e) => void events.push(e)), PROMPT, [5]);
  return { r, events };
}
const ofType = <K extends StrategyEvent["type"]>(events: StrategyEvent[], type: K) =>
  events.filter((e): e is Extract<StrategyEvent, { type: K }> => e.type === type);

test("a watched run is the same run: tokens, cost and trace unchanged", async () => {
  for (const name of Object.keys(STRATEGIES)) {
    const [plain] = await strategyByName(name).run(ctx(), PROMPT, [5]);
    const { r, events } = await watched(name);
    assert.deepEqual(r.tokens, plain.tokens, name);
    assert.deepEqual([r.nfe, r.judgeCalls, r.trace], [plain.nfe, plain.judgeCalls, plain.trace], name);
    assert.equal(events[0].type, "begin", name);
  }
});

test("parm's events: every step of every live path, verdicts, cuts where the trace cut, the chosen path", async () => {
  const { r, events } = await watched("parm");
  const paths = r.trace.paths as { id: number; cutAfter: number | null }[];
  assert.deepEqual(events[0], { type: "begin", paths: N, steps: T });
  const steps = ofType(events, "step");
  assert.equal(steps.length, T);
  for (const s of steps) {
    const live = paths.filter((p) => p.cutAfter === null || p.cutAfter >= s.step).map((p) => p.id);
    assert.deepEqual(s.paths.map((p) => p.path), live, `step ${s.step}`);
    const img = decodePng(Buffer.from(s.paths[0].image, "base64"));
    assert.deepEqual([img.width, img.height], [16, 16]);
  }
  assert.deepEqual(
    ofType(events, "cut").map((c) => [c.path, c.step]),
    paths.filter((p) => p.cutAfter !== null).map((p) => [p.id, p.cutAfter]),
  );
  assert.ok(ofType(events, "verdicts").some((v) => v.question === "clarity" && v.verdicts.every((x) => x.step !== null)));
  const outcome = ofType(events, "verdicts").find((v) => v.question === "outcome")!;
  assert.ok(outcome.verdicts.every((v) => v.step === null));
  const chosen = ofType(events, "chosen");
  assert.equal(chosen.length, 1);
  assert.equal(chosen[0].path, r.trace.chosen);
  assert.equal(chosen[0].via, "survivors");
});

test("step-best-of-n selects one candidate per step; parm++ reports each reflection and each round", async () => {
  const prm = await watched("step-best-of-n");
  const selects = ofType(prm.events, "select");
  assert.deepEqual(selects.map((s) => s.step), Array.from({ length: T }, (_, t) => t));
  const kept = (prm.r.trace.steps as { chosen: number }[]).map((s) => s.chosen);
  assert.deepEqual(selects.map((s) => s.path), kept);

  const pp = await watched("parm++");
  const rounds = pp.r.trace.rounds as unknown[];
  assert.equal(ofType(pp.events, "begin").length, rounds.length);
  assert.deepEqual(
    ofType(pp.events, "reflection").map((e) => e.reason),
    ["expected two circles, found three", null],
  );
  assert.equal(ofType(pp.events, "chosen").length, rounds.length, "one chosen image per round: the corrected ones after the first");
});

test("thumbnails shrink by a whole factor to at most 64 pixels a side", () => {
  const big = { width: 256, height: 256, data: new Uint8Array(256 * 256 * 3).fill(200) };
  const t = thumbnail(big);
  assert.deepEqual([t.width, t.height, t.data[0]], [64, 64, 200]);
  assert.equal(thumbnail(t), t, "small images pass through");
});
