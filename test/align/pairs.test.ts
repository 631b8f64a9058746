// Pair building: a yes and a no image of one prompt; all-same-label prompts dropped; the
// reward-guided choice and weights.
import assert from "node:assert/strict";
import { test } from "node:test";
import { buildPairs, type RankedPrompt, type RankedSample } from "../../src/align/pairs.js";

const meta = (i: number) => ({ tag: "single_object" as const, include: [{ class: "circle", count: 1 }], prompt: `a photo of prompt ${i}` });

/** A prompt whose samples carry these labels (and judge scores, if given). */
function ranked(index: number, labels: boolean[], scores?: number[]): RankedPrompt {
  return {
    index,
    seed: index,
    meta: meta(index),
    samples: labels.map((correct, k): RankedSample => ({
      sample: k,
      seed: index * 100 + k,
      tokens: [index, k],
      correct,
      reasons: correct ? [] : ["no"],
      image: `images/p${index}-s${k}.png`,
      ...(scores ? { judge: { name: "j", pYes: scores[k] } } : {}),
    })),
  };
}

const data = [
  ranked(0, [true, false, false, true]),
  ranked(1, [true, true, true, true]), // all yes: dropped
  ranked(2, [false, false, false]), // all no: dropped
  ranked(3, [false, true, false, false]),
  ranked(4, [true, false]),
];

test("every pair is a yes and a no image of one prompt; all-same-label prompts give none", () => {
  const { pairs, stats } = buildPairs(data, { perPrompt: 3, seed: 1 });
  const byImage = new Map(data.flatMap((p) => p.samples.map((s) => [s.image, { p, s }] as const)));
  for (const pair of pairs) {
    const c = byImage.get(pair.chosen)!;
    const r = byImage.get(pair.rejected)!;
    assert.equal(c.p.index, pair.prompt_index, "chosen from the pair's prompt");
    assert.equal(r.p.index, pair.prompt_index, "rejected from the pair's prompt");
    assert.equal(pair.prompt, c.p.meta.prompt);
    assert.ok(c.s.correct && !r.s.correct);
    assert.deepEqual(pair.chosen_tokens, c.s.tokens);
    assert.deepEqual(pair.rejected_tokens, r.s.tokens);
    assert.equal(pair.weight, 1);
  }
  assert.ok(!pairs.some((p) => p.prompt_index === 1 || p.prompt_index === 2));
  // prompt 0: 2 yes x 2 no -> 3 (the cap); prompt 3: 1 x 3 -> 3; prompt 4: 1 x 1 -> 1
  assert.deepEqual(
    [0, 3, 4].map((i) => pairs.filter((p) => p.prompt_index === i).length),
    [3, 3, 1],
  );
  assert.deepEqual(stats, { prompts: 5, samples: 17, yes_rate: 8 / 17, all_yes: 1, all_no: 1, mixed: 3, pairs: 7 });
  // no pair twice
  assert.equal(new Set(pairs.map((p) => `${p.chosen}|${p.rejected}`)).size, pairs.length);
});

test("a prompt's pairs use fresh images first, and the same seed gives the same pairs", () => {
  const { pairs } = buildPairs(data, { perPrompt: 2, seed: 9 });
  const p0 = pairs.filter((p) => p.prompt_index === 0);
  assert.equal(new Set(p0.map((p) => p.chosen)).size, 2, "two pairs of prompt 0 use both yes images");
  assert.equal(new Set(p0.map((p) => p.rejected)).size, 2, "and both no images");
  assert.deepEqual(buildPairs([...data].reverse(), { perPrompt: 2, seed: 9 }).pairs, pairs, "independent of the records' order");
});

test("reward-guided pairs: largest judge margin first, weights sigmoid(margin/tau) with mean 1", () => {
  const scored = [ranked(0, [true, false, true, false], [0.9, 0.2, 0.6, 0.7]), ranked(1, [false, true, false], [0.5, 0.4, 0.1])];
  const { pairs, stats } = buildPairs(scored, { perPrompt: 2, seed: 1, judge: "j", tau: 0.1 });
  // prompt 0: margins 0.9-0.2=0.7 (s0,s1) is the largest; then fresh images: s2 vs s3 (-0.1)
  assert.deepEqual(
    pairs.filter((p) => p.prompt_index === 0).map((p) => [p.chosen_sample, p.rejected_sample]),
    [[0, 1], [2, 3]],
  );
  // prompt 1: one yes; s1 vs s2 (0.3) before s1 vs s0 (-0.1)
  assert.deepEqual(
    pairs.filter((p) => p.prompt_index === 1).map((p) => [p.chosen_sample, p.rejected_sample]),
    [[1, 2], [1, 0]],
  );
  const raw = pairs.map((p) => 1 / (1 + Math.exp(-(p.chosen_score! - p.rejected_score!) / 0.1)));
  const mean = raw.reduce((a, b) => a + b) / raw.length;
  pairs.forEach((p, i) => assert.ok(Math.abs(p.weight - raw[i] / mean) < 1e-12));
  assert.ok(Math.abs(pairs.reduce((a, p) => a + p.weight, 0) / pairs.length - 1) < 1e-12);
  assert.ok(pairs.every((p) => p.judge === "j"));
  assert.equal(stats.judge_agreement, 2 / 4);
  assert.throws(() => buildPairs(data, { perPrompt: 2, seed: 1, judge: "j" }), /no score by the judge 'j'/);
});

test("sampling orders travel with their images into the pairs, where the ranking kept them", () => {
  const withOrder = data.map((p) => ({ ...p, samples: p.samples.map((s) => ({ ...s, order: [s.sample, p.index] })) }));
  const { pairs } = buildPairs(withOrder, { perPrompt: 3, seed: 1 });
  for (const pair of pairs) {
    assert.deepEqual(pair.chosen_order, [pair.chosen_sample, pair.prompt_index]);
    assert.deepEqual(pair.rejected_order, [pair.rejected_sample, pair.prompt_index]);
  }
  assert.ok(buildPairs(data, { perPrompt: 3, seed: 1 }).pairs.every((p) => !("chosen_order" in p) && !("rejected_order" in p)), "none where they were not kept");
});
