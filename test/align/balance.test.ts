// Tag-balanced ranking: the next stage's extra prompts on hand-made counts, tag streams of
// training prompts only, and a balanced run end to end on tiny models that resumes to the same data.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { nextBlocks, rankBalanced, tagCounts } from "../../src/align/balance.js";
import { buildPairs } from "../../src/align/pairs.js";
import { type PromptBlock, rankData, rankedCount, rankedPrompts, readRankMeta, readRanked } from "../../src/align/rank.js";
import { readMetadataFile } from "../../src/geneval/metadata.js";
import { collectionPrompts } from "../../src/judges/collect.js";
import { loadPipeline } from "../../src/models/load.js";
import { TEST_SUITE_FILE } from "../../src/shapes/train-prompts.js";
import { saveTiny, tinyRankOptions } from "./tiny.js";

test("next blocks: each short tag gets the prompts its pairs per prompt say, then every tag more while the round is short", () => {
  const counts = new Map([
    ["a", { prompts: 100, pairs: 50 }],
    ["b", { prompts: 100, pairs: 5 }],
    ["c", { prompts: 100, pairs: 0 }],
  ]);
  // quota ceil(0.1 * 200) = 20: b needs 15 more at 0.05 a prompt (330 with a tenth to spare), c has no yield yet (the cap);
  // projected 55 + 15 = 70 < 200: 130 more, a third each: a ceil(1.1 * 43.3 / 0.5) = 96, b + ceil(1.1 * 43.3 / 0.05) = 954
  assert.deepEqual(nextBlocks(counts, { pairs: 200, minShare: 0.1, maxStages: 4, maxBlock: 4000 }), [
    { tag: "b", count: 1284 },
    { tag: "c", count: 4000 },
    { tag: "a", count: 96 },
  ]);
  // met: every tag at its share of the pairs so far, and the target reached
  const met = new Map([
    ["a", { prompts: 10, pairs: 30 }],
    ["b", { prompts: 10, pairs: 10 }],
  ]);
  assert.deepEqual(nextBlocks(met, { pairs: 40, minShare: 0.2, maxStages: 4, maxBlock: 100 }), []);
});

test("tag streams: training prompts of one tag, never a test prompt, each block continuing its tag's stream", () => {
  const test = new Set(readMetadataFile(TEST_SUITE_FILE).map((m) => m.prompt));
  const pos = collectionPrompts(3, 50, "position");
  assert.ok(pos.every((m) => m.tag === "position" && !test.has(m.prompt)));
  assert.deepEqual(collectionPrompts(3, 20, "position", 30), pos.slice(30));
  const extra: PromptBlock[] = [{ tag: "position", count: 5 }, { tag: "counting", count: 3 }, { tag: "position", count: 4 }];
  const all = rankedPrompts(3, 10, extra);
  assert.equal(all.length, 22);
  assert.deepEqual(all.slice(0, 10), collectionPrompts(3, 10));
  assert.deepEqual(all.slice(10, 15), pos.slice(0, 5));
  assert.deepEqual(all.slice(18), pos.slice(5, 9));
  assert.throws(() => collectionPrompts(3, 1, "single_object"), /no training prompts of tag 'single_object'/);
});

test("a balanced run: stages of extra prompts until every tag holds its share; a rerun plans the same stages and ranks nothing again", async () => {
  const dir = mkdtempSync(join(tmpdir(), "imagecot-balance-"));
  const tiny = saveTiny(dir);
  const p = loadPipeline(tiny.generator, tiny.tokenizer);
  const out = join(dir, "data");
  const o = { ...tinyRankOptions(out, { generator: tiny.generator }), prompts: 10 };
  const tags = ["color_attr", "colors", "counting", "position", "two_object"];
  const run = () =>
    rankBalanced(
      { pairs: 30, minShare: 0.15, maxStages: 3, maxBlock: 12 },
      tags,
      (extra) => rankData(p, { ...o, extra }),
      (extra) => {
        const records = readRanked(out, rankedCount({ prompts: o.prompts, extra }));
        return { records, pairs: buildPairs(records, { perPrompt: o.pairsPerPrompt, seed: o.seed }).pairs };
      },
    );
  const r = await run();
  assert.ok(r.stages.length >= 1, "10 uniform prompts leave some tag short");
  const meta = readRankMeta(out)!;
  assert.deepEqual(meta.extra, r.stages.flat());
  const records = readRanked(out);
  assert.equal(records.length, rankedCount(meta));
  const counts = tagCounts(records, buildPairs(records, { perPrompt: o.pairsPerPrompt, seed: o.seed }).pairs, tags);
  assert.equal(r.pairs, [...counts.values()].reduce((n, c) => n + c.pairs, 0));
  for (const t of tags) assert.equal(r.by_tag[t].pairs, counts.get(t)!.pairs);
  if (r.met) for (const t of tags) assert.ok(r.by_tag[t].share >= 0.15, `${t}: ${r.by_tag[t].share}`);
  else assert.equal(r.stages.length, 3, "a miss only when the stages ran out");
  const files = readdirSync(join(out, "samples")).sort();
  const pairsFile = readFileSync(join(out, "pairs.jsonl"), "utf8");
  const again = await run();
  assert.deepEqual(again.stages, r.stages);
  assert.deepEqual(readdirSync(join(out, "samples")).sort(), files);
  assert.equal(readFileSync(join(out, "pairs.jsonl"), "utf8"), pairsFile);
  // a plain rerun (no balancing) keeps the folder's extra blocks
  await rankData(p, o);
  assert.deepEqual(readRankMeta(out)!.extra, meta.extra);
});
