// Ranking data: training prompts only, K samples each with tokens and PNGs, and resumption
// after a kill (in-process at a prompt boundary, between a prompt's PNGs and its record, and
// a real SIGKILL of a child process) giving the same records and pairs file.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { readPairs } from "../../src/align/pairs.js";
import { GUIDED_PAIRS_FILE, PAIRS_FILE, type RankOptions, rankData, rankPlan, readRankMeta, readRanked, recordFile } from "../../src/align/rank.js";
import { readMetadataFile } from "../../src/geneval/metadata.js";
import { maskedAfter } from "../../src/generator/sampler.js";
import { readPng } from "../../src/shapes/image.js";
import { TEST_SUITE_FILE } from "../../src/shapes/train-prompts.js";
import { ScriptedJudge, parityLabel, tinyPipeline, tinyRankOptions } from "./tiny.js";
import { disposePipeline } from "../../src/models/load.js";

const pipeline = tinyPipeline();
const PROMPTS = 8;
const K = 4;
const options = (out: string, extra: Partial<RankOptions> = {}) => tinyRankOptions(out, { prompts: PROMPTS, samplesPerPrompt: K, ...extra });

const files = (dir: string, sub: string) => (existsSync(join(dir, sub)) ? readdirSync(join(dir, sub)).sort() : []);
const read = (dir: string, f: string) => readFileSync(join(dir, f), "utf8");

const root = mkdtempSync(join(tmpdir(), "imagecot-rank-"));
const whole = join(root, "whole");
let wholeResult: Awaited<ReturnType<typeof rankData>>;

test("an uninterrupted run: K samples per training prompt, tokens, PNGs, labels, pairs", async () => {
  wholeResult = await rankData(pipeline, options(whole));
  const recs = readRanked(whole);
  assert.equal(recs.length, PROMPTS);
  const test = new Set(readMetadataFile(TEST_SUITE_FILE).map((m) => m.prompt));
  for (const r of recs) {
    assert.ok(!test.has(r.meta.prompt), `"${r.meta.prompt}" is a test prompt`);
    assert.equal(r.samples.length, K);
    for (const s of r.samples) {
      assert.equal(s.tokens.length, pipeline.generator.config.imageTokens);
      // the sampling order: step t fixed exactly the positions the schedule unmasks at it
      const [L, T] = [s.tokens.length, options(whole).sample.steps];
      assert.ok(s.order!.every((x) => Number.isInteger(x) && x >= 0 && x < T), "every position fixed at a step of the T");
      const left = Array.from({ length: T }, (_, t) => maskedAfter(t, T, L, L - s.order!.filter((x) => x < t).length));
      assert.deepEqual(
        Array.from({ length: T }, (_, t) => s.order!.filter((x) => x <= t).length),
        left.map((m) => L - m),
        "positions fixed by each step",
      );
      const img = readPng(join(whole, s.image));
      assert.equal(s.correct, parityLabel(r.meta, img).correct, "the label is the labeller's verdict on the stored PNG");
    }
  }
  assert.equal(files(whole, "images").length, PROMPTS * K);
  const pairs = readPairs(join(whole, PAIRS_FILE));
  assert.ok(pairs.length > 0, "the scripted labeller gives mixed prompts");
  assert.equal(wholeResult.stats.pairs, pairs.length);
  assert.equal(wholeResult.stats.samples, PROMPTS * K);
  assert.ok(!existsSync(join(whole, GUIDED_PAIRS_FILE)), "no guided pairs without a judge");
});

test("a generator file retrained in place is another model: its folder refuses it", () => {
  const [dir, gen] = [join(root, "by-hash"), join(root, "generator.bin")];
  writeFileSync(gen, "weights A");
  rankPlan(options(dir, { generator: gen }));
  rankPlan(options(dir, { generator: gen }));
  writeFileSync(gen, "weights B");
  assert.throws(() => rankPlan(options(dir, { generator: gen })), /other weights/);
  // a folder made before hashes were kept takes the file as it is, and keeps its hash from then on
  const meta = readRankMeta(dir)!;
  delete meta.generatorHash;
  writeFileSync(join(dir, "meta.json"), JSON.stringify(meta));
  rankPlan(options(dir, { generator: gen }));
  assert.match(readRankMeta(dir)!.generatorHash ?? "", /^[0-9a-f]{16}$/);
  writeFileSync(gen, "weights C");
  assert.throws(() => rankPlan(options(dir, { generator: gen })), /other weights/);
});

test("killed between prompts and rerun: the same records and pairs file, no sample twice", async () => {
  const dir = join(root, "killed");
  await assert.rejects(
    rankData(pipeline, options(dir, { onProgress: (d) => { if (d === 3) throw new Error("killed"); } })),
    /killed/,
  );
  assert.equal(files(dir, "samples").length, 3);
  assert.ok(!existsSync(join(dir, PAIRS_FILE)));
  await rankData(pipeline, options(dir));
  assert.equal(read(dir, PAIRS_FILE), read(whole, PAIRS_FILE));
  assert.deepEqual(files(dir, "samples"), files(whole, "samples"));
  for (const f of files(whole, "samples")) assert.equal(read(dir, join("samples", f)), read(whole, join("samples", f)));
  assert.deepEqual(files(dir, "images"), files(whole, "images"));
});

test("killed after a prompt's PNGs but before its record: the prompt is redone, the same pairs", async () => {
  const dir = join(root, "killed");
  rmSync(recordFile(dir, 5));
  rmSync(recordFile(dir, 6));
  await rankData(pipeline, options(dir));
  assert.equal(read(dir, PAIRS_FILE), read(whole, PAIRS_FILE));
  assert.equal(files(dir, "images").length, PROMPTS * K);
});

test("a rerun with other settings into the same folder is refused", async () => {
  await assert.rejects(rankData(pipeline, options(whole, { samplesPerPrompt: K + 1 })), /other settings/);
  await assert.rejects(rankData(pipeline, options(whole, { generator: "another" })), /other settings/);
});

test("a judge added on a rerun scores the stored samples and writes the reward-guided pairs", async () => {
  const dir = join(root, "killed");
  const judge = new ScriptedJudge();
  const r = await rankData(pipeline, options(dir, { judge }));
  assert.equal(judge.calls, PROMPTS * K);
  assert.equal(read(dir, PAIRS_FILE), read(whole, PAIRS_FILE), "the plain pairs do not change");
  const guided = readPairs(join(dir, GUIDED_PAIRS_FILE));
  assert.equal(guided.length, r.guided!.pairs);
  assert.ok(guided.every((p) => p.judge === "scripted" && p.chosen_score !== undefined));
  const again = new ScriptedJudge();
  await rankData(pipeline, options(dir, { judge: again }));
  assert.equal(again.calls, 0, "scored samples are not scored again");
  // a fresh run with the judge from the start writes the same files
  const fresh = join(root, "fresh-judged");
  await rankData(pipeline, options(fresh, { judge: new ScriptedJudge() }));
  assert.equal(read(fresh, GUIDED_PAIRS_FILE), read(dir, GUIDED_PAIRS_FILE));
  // the same judge retrained (its name, other weights): the stored scores are its old self's, so it scores again
  const retrained = Object.assign(new ScriptedJudge("scripted", () => 0.25), { id: "scripted, retrained" });
  await rankData(pipeline, options(dir, { judge: retrained }));
  assert.equal(retrained.calls, PROMPTS * K);
  const rescored = readPairs(join(dir, GUIDED_PAIRS_FILE));
  assert.ok(rescored.length > 0 && rescored.every((p) => p.chosen_score === 0.25 && p.rejected_score === 0.25), "the pairs read the new scores");
  await rankData(pipeline, options(dir, { judge: retrained }));
  assert.equal(retrained.calls, PROMPTS * K, "and not a third time");
});

test("SIGKILLed at a random moment and rerun: the same pairs file", async () => {
  const dir = join(root, "sigkill");
  // the child runs the same ranking (the tiny models are built the same in every process)
  const code = [
    `import { rankData } from ${JSON.stringify(new URL("../../src/align/rank.js", import.meta.url).href)};`,
    `import { tinyPipeline, tinyRankOptions } from ${JSON.stringify(new URL("./tiny.js", import.meta.url).href)};`,
    `await rankData(tinyPipeline(), tinyRankOptions(${JSON.stringify(dir)}, { prompts: ${PROMPTS * 4}, samplesPerPrompt: ${K} }));`,
  ].join("\n");
  const child = spawn(process.execPath, ["--input-type=module", "-e", code], { stdio: "ignore" });
  // kill as soon as the second prompt's record exists (its PNGs or record of the next one may be half-written)
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (existsSync(recordFile(dir, 1))) {
        child.kill("SIGKILL");
        clearInterval(timer);
      }
    }, 2);
    child.on("exit", () => {
      clearInterval(timer);
      resolve();
    });
    child.on("error", reject);
  });
  const done = files(dir, "samples").filter((f) => f.endsWith(".json")).length;
  assert.ok(done >= 2 && done < PROMPTS * 4, `the child ranked some prompts and was killed before it finished (${done} records)`);
  const o = options(dir, { prompts: PROMPTS * 4 });
  await rankData(pipeline, o);
  const ref = join(root, "sigkill-whole");
  await rankData(pipeline, options(ref, { prompts: PROMPTS * 4 }));
  assert.equal(read(dir, PAIRS_FILE), read(ref, PAIRS_FILE));
  assert.equal(files(dir, "images").filter((f) => f.endsWith(".png")).length, PROMPTS * 4 * K);
});

test.after(() => {
  disposePipeline(pipeline);
  rmSync(root, { recursive: true, force: true });
});
