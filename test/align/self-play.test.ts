// Self-play pairs: each "no" sample against a ground-truth render of its prompt, the all-no
// prompts included; the renders are right by the detector; a ranking writes them on request and
// keeps them in step on a rerun; the pairs kinds are read apart.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { RankedPrompt, RankedSample } from "../../src/align/pairs.js";
import { rankData, readDataPairs, readRanked } from "../../src/align/rank.js";
import { RENDER_PAIRS_FILE, renderPair, renderSlots } from "../../src/align/self-play.js";
import { groundTruthImage } from "../../src/shapes/ground-truth.js";
import { evaluateImage } from "../../src/geneval/rules.js";
import type { PromptMeta } from "../../src/geneval/types.js";
import { disposePipeline } from "../../src/models/load.js";
import { detect } from "../../src/shapes/detector.js";
import { readPng } from "../../src/shapes/image.js";
import { InputError } from "../../src/util/errors.js";
import { tinyPipeline, tinyRankOptions } from "./tiny.js";

const meta = (i: number): PromptMeta => ({ tag: "single_object", include: [{ class: "circle", count: 1 }], prompt: `a photo of prompt ${i}` });

function ranked(index: number, labels: boolean[]): RankedPrompt {
  return {
    index,
    seed: index,
    meta: meta(index),
    samples: labels.map((correct, k): RankedSample => ({ sample: k, seed: k, tokens: [index, k], correct, reasons: correct ? [] : ["no"], image: `images/p${index}-s${k}.png` })),
  };
}

const data = [
  ranked(0, [true, false, false, true]),
  ranked(1, [true, true, true]), // all yes: no pair
  ranked(2, [false, false, false]), // all no: pairs all the same
  ranked(3, [false, true]),
];

test("every \"no\" sample, at most perPrompt a prompt, the all-no prompts included; all-yes prompts give none", () => {
  const { slots, stats } = renderSlots(data, { perPrompt: 2, seed: 1 });
  assert.deepEqual(stats, { prompts: 4, with_no: 3, all_no: 1, pairs: 5, by_tag: { single_object: 5 } });
  assert.ok(slots.every((s) => !s.rejected.correct));
  assert.deepEqual(
    slots.map((s) => [s.prompt.index, s.k]),
    [[0, 0], [0, 1], [2, 0], [2, 1], [3, 0]],
  );
  // prompt 0's two "no" samples, each once
  assert.deepEqual(slots.filter((s) => s.prompt.index === 0).map((s) => s.rejected.sample).sort(), [1, 2]);
  // seeded: the same draw again, and another seed may pick other samples of the all-no prompt
  assert.deepEqual(renderSlots(data, { perPrompt: 2, seed: 1 }).slots.map((s) => s.rejected.sample), slots.map((s) => s.rejected.sample));
  const picks = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((seed) => renderSlots(data, { perPrompt: 1, seed }).slots.find((s) => s.prompt.index === 2)!.rejected.sample));
  assert.ok(picks.size > 1, "the all-no prompt's sample is drawn, not always the first");
});

test("a pair's chosen image is render k of its prompt, its rejected one the sample", () => {
  const { slots } = renderSlots(data, { perPrompt: 2, seed: 1 });
  const pair = renderPair(slots[1], [7, 8]);
  assert.equal(pair.chosen, "images/p00000-r1.png");
  assert.equal(pair.chosen_sample, -1);
  assert.deepEqual(pair.chosen_tokens, [7, 8]);
  assert.equal(pair.rejected, slots[1].rejected.image);
  assert.deepEqual(pair.rejected_tokens, slots[1].rejected.tokens);
  assert.equal(pair.chosen_order, undefined, "a render has no sampling order");
});

test("renders are ground truth: the detector says yes under GenEval's rules, the same image for the same stream", () => {
  const metas: PromptMeta[] = [
    { tag: "counting", include: [{ class: "star", count: 3 }], prompt: "a photo of three stars" },
    { tag: "position", include: [{ class: "circle", count: 1 }, { class: "square", count: 1, position: ["below", 0] }], prompt: "a photo of a square below a circle" },
    { tag: "color_attr", include: [{ class: "heart", count: 1, color: "red" }, { class: "cross", count: 1, color: "blue" }], prompt: "a photo of a red heart and a blue cross" },
  ];
  metas.forEach((m, i) => {
    for (let k = 0; k < 3; k++) {
      const img = groundTruthImage(m, 1, i, k, 64);
      assert.ok(evaluateImage(m, detect(img)).correct, `render ${k} of "${m.prompt}"`);
      assert.deepEqual(groundTruthImage(m, 1, i, k, 64).data, img.data);
    }
  });
  assert.notDeepEqual(groundTruthImage(metas[0], 1, 0, 0, 64).data, groundTruthImage(metas[0], 1, 0, 1, 64).data, "each k its own scene");
});

test("a ranking writes the self-play pairs on request, keeps them in step on a rerun, and each kind is read apart", async () => {
  const root = mkdtempSync(join(tmpdir(), "imagecot-self-play-"));
  const p = tinyPipeline();
  try {
    const out = join(root, "rank");
    await rankData(p, tinyRankOptions(out, { prompts: 4 }));
    assert.ok(!existsSync(join(out, RENDER_PAIRS_FILE)), "none unless asked");
    assert.throws(() => readDataPairs(out, "render"), (e: Error) => e instanceof InputError && /--render-pairs/.test(e.message));
    const first = await rankData(p, tinyRankOptions(out, { prompts: 4, renderPairs: true }));
    const pairs = readDataPairs(out, "render");
    assert.equal(pairs.length, first.render!.pairs);
    assert.ok(pairs.length > 0);
    const records = new Map(readRanked(out).map((r) => [r.index, r]));
    const { slots } = renderSlots([...records.values()], { perPrompt: 2, seed: 3 });
    pairs.forEach((pair, i) => {
      // the PNG is render k of its prompt, and the tokens are the tokenizer's of that render
      const rec = records.get(pair.prompt_index)!;
      const render = groundTruthImage(rec.meta, 3, rec.index, slots[i].k, p.tokenizer.config.imageSize);
      assert.deepEqual(readPng(join(out, pair.chosen)).data, render.data);
      assert.deepEqual(pair.chosen_tokens, p.tokenizer.tokenize([render])[0]);
      assert.ok(rec.samples.some((s) => !s.correct && s.image === pair.rejected && JSON.stringify(s.tokens) === JSON.stringify(pair.rejected_tokens)));
    });
    assert.deepEqual(JSON.parse(readFileSync(join(out, "stats.json"), "utf8")).render, first.render);
    // a rerun without the flag over more prompts keeps them in step with the records
    const more = await rankData(p, tinyRankOptions(out, { prompts: 8 }));
    const after = readDataPairs(out, "render");
    assert.equal(after.length, more.render!.pairs);
    assert.ok(after.some((x) => x.prompt_index >= 4), "the new prompts' pairs are there");
    assert.deepEqual(after.filter((x) => x.prompt_index < 4), pairs, "the first prompts' pairs are the same");
  } finally {
    disposePipeline(p);
    rmSync(root, { recursive: true, force: true });
  }
});
