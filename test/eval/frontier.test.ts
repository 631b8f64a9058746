// The compute frontier against live runs (issue 13): from one recording of 4 paths per image,
// best-of-N and PARM at N = 1, 2, 4 must choose the images, and spend the NFE and judge calls,
// that live best-of-n and parm runs with N paths do; the command writes it with its provenance;
// bad input is one line, exit 2.
import { EMBEDDED_JUDGES } from "../../src/judges/embedded.js";
import { fileHash } from "../../src/util/file-hash.js";
import { EmbeddedStepGenerator } from "../../src/generator/embedded-steps.js";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { computeFrontier, frontierChoices, planFrontier } from "../../src/eval/frontier.js";
import { type RecordedVerdicts, prediction, readRecording, recordingFile, replayStrategy, verdictsFile } from "../../src/eval/replay.js";
import { evaluateSuite, sampleSeed } from "../../src/eval/run-suite.js";
import { writeMetadataFile } from "../../src/geneval/metadata.js";
import { evaluateImage } from "../../src/geneval/rules.js";
import { type ScoredImage, summarize } from "../../src/geneval/summary.js";
import type { PromptMeta } from "../../src/geneval/types.js";
import type { Judge, JudgeRequest, Verdict } from "../../src/judges/judge.js";
import { detect } from "../../src/shapes/detector.js";
import { strategyByName } from "../../src/strategies/index.js";
import { MAX_SURVIVORS } from "../../src/strategies/parm-rule.js";
import { InputError } from "../../src/util/errors.js";
import { saveTiny } from "../align/tiny.js";
import { cli } from "../fixtures/cli.js";
import { tinyPipeline } from "../fixtures/tiny.js";

const pipeline = tinyPipeline();
const sample = { steps: 6, cfg: 1.5, temperature: 1, confidenceTemperature: 4.5 };
const suite: PromptMeta[] = [
  { tag: "two_object", include: [{ class: "circle", count: 1 }, { class: "square", count: 1 }], prompt: "a photo of a circle and a square" },
  { tag: "colors", include: [{ class: "star", count: 1, color: "red" }], prompt: "a photo of a red star" },
];
const SEED = 7;
const RECORDED = 4;
const K = 2; // images per prompt

/** P(yes) from a hash of the question and the pixels: live and replayed questions about one image agree, and the answers vary. */
class HashJudge implements Judge {
  readonly name = "hash";
  asked = 0;
  async judge(requests: readonly JudgeRequest[]): Promise<Verdict[]> {
    this.asked += requests.length;
    return requests.map((r) => {
      let h = 2166136261;
      for (const b of [...Buffer.from(r.question), ...r.image.data]) h = Math.imul(h ^ b, 16777619) >>> 0;
      return { pYes: (h % 1000) / 1000 };
    });
  }
}

const judge = new HashJudge();
const dir = mkdtempSync(join(tmpdir(), "imagecot-frontier-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const record = join(dir, "record");

test("the frontier's choices, NFE and judge calls equal live best-of-n and parm runs with N paths", async () => {
  // the recording `eval --suite --replay DIR --n 4` makes, with the judge's verdicts cached in it
  await evaluateSuite({ suite, strategy: replayStrategy("parm", record, "hash"), ctx: { generator: new EmbeddedStepGenerator(pipeline), judge, n: RECORDED, sample }, imagesPerPrompt: K, seed: SEED, out: join(dir, "eval") });
  const plan = planFrontier(record, suite, SEED, [4, 1, 2, 2]);
  assert.deepEqual(plan.ns, [1, 2, 4]);
  assert.equal(plan.images.length, suite.length * K);
  assert.equal(plan.imagesPerPrompt, K);
  const asked = judge.asked;
  const f = await computeFrontier(plan, { pipeline, judge, judgeName: "hash" });
  assert.equal(judge.asked, asked, "the verdicts cached in the recording are reused, none asked again");
  assert.deepEqual([f.images, f.prompts, f.paths_recorded, f.steps], [suite.length * K, suite.length, RECORDED, sample.steps]);

  const vias = new Set<unknown>();
  let cuts = 0;
  for (const [i, n] of plan.ns.entries()) {
    for (const name of ["best-of-n", "parm"] as const) {
      let [nfe, judgeCalls] = [0, 0];
      const rows: ScoredImage[] = [];
      for (const [p, meta] of suite.entries()) {
        const seeds = Array.from({ length: K }, (_, s) => sampleSeed(SEED, p, s));
        const live = await strategyByName(name).run({ generator: new EmbeddedStepGenerator(pipeline), judge, n, sample }, meta.prompt, seeds);
        live.forEach((l, s) => {
          const r = readRecording(recordingFile(record, seeds[s]));
          const v = JSON.parse(readFileSync(verdictsFile(record, seeds[s], "hash"), "utf8")) as RecordedVerdicts;
          const c = frontierChoices(v, n, r.steps, 2)[name];
          const what = `${name}, N=${n}, prompt ${p}, image ${s}`;
          assert.deepEqual(Array.from(prediction(r, c.path, r.steps - 1)), Array.from(l.tokens!), `${what}: the same image`);
          assert.equal(c.nfe, l.nfe, `${what}: the same NFE`);
          assert.equal(c.judgeCalls, l.judgeCalls, `${what}: the same judge calls`);
          if (name === "parm") {
            assert.equal(c.trace.via, l.trace.via, `${what}: chosen the same way`);
            vias.add(l.trace.via);
            cuts += (l.trace.paths as { cutAfter: number | null }[]).filter((x) => x.cutAfter !== null).length;
          }
          nfe += l.nfe;
          judgeCalls += l.judgeCalls;
          rows.push({ tag: meta.tag, promptKey: meta.prompt, correct: evaluateImage(meta, detect(l.image)).correct });
        });
      }
      const point = (name === "parm" ? f.parm : f.best_of_n)[i];
      assert.equal(point.n, n);
      assert.equal(point.nfe_per_image, nfe / plan.images.length, `${name}, N=${n}: mean NFE per image as live`);
      assert.equal(point.judge_calls_per_image, judgeCalls / plan.images.length, `${name}, N=${n}: mean judge calls per image as live`);
      assert.equal(point.overall, summarize(rows).overall, `${name}, N=${n}: the score of the live images`);
    }
    assert.equal(f.oracle[i].nfe_per_image, f.best_of_n[i].nfe_per_image, "the oracle chooses among best-of-N's full paths");
    // the paired difference is the two scores' difference, its interval around it
    const { diff, diff_ci95 } = f.parm[i].vs_best_of_n;
    assert.ok(Math.abs(diff - (f.parm[i].overall - f.best_of_n[i].overall)) < 1e-12, `N=${n}: PARM's score minus best-of-N's`);
    assert.ok(diff_ci95[0] <= diff + 1e-12 && diff <= diff_ci95[1] + 1e-12, `N=${n}: ${diff} in [${diff_ci95}]`);
    assert.ok(f.oracle[i].overall >= Math.max(f.best_of_n[i].overall, f.parm[i].overall), "no choice beats the oracle");
  }
  assert.equal(f.best_of_n[2].nfe_per_image, RECORDED * sample.steps * 2, "best-of-N: N full paths, two CFG halves a step");
  assert.ok(f.parm.every((p, i) => p.nfe_per_image <= f.best_of_n[i].nfe_per_image), "PARM never spends more than best-of-N");
  assert.deepEqual([...vias].sort(), ["fallback", "survivors"], "the runs cover both of PARM's ways of choosing");
  assert.ok(cuts > 0, "and cut paths");
  assert.equal(f.budget.budgets.length, new Set([...f.parm, ...f.best_of_n].map((p) => p.nfe_per_image)).size);

  // the survivor budget changes PARM only: with none, no path stops before its potential is read
  assert.equal(f.max_survivors, MAX_SURVIVORS);
  const before = judge.asked;
  const [one, none] = await Promise.all([1, RECORDED].map((maxSurvivors) => computeFrontier(plan, { pipeline, judge, judgeName: "hash", maxSurvivors })));
  assert.equal(judge.asked, before, "the same cached verdicts");
  assert.deepEqual([one.max_survivors, none.max_survivors], [1, RECORDED]);
  assert.deepEqual(one.best_of_n, f.best_of_n);
  assert.deepEqual(none.best_of_n, f.best_of_n);
  for (const [i, n] of plan.ns.entries()) assert.ok(one.parm[i].nfe_per_image <= none.parm[i].nfe_per_image, `N=${n}: a budget never spends more than none`);
  assert.deepEqual(one.parm[0], none.parm[0], "N=1: a budget of N or more is none");
  assert.deepEqual(f.parm[0].vs_best_of_n, { diff: 0, diff_ci95: [0, 0] }, "N=1: both finish path 0 of every image");
  assert.ok(one.parm.some((p, i) => p.nfe_per_image < none.parm[i].nfe_per_image), "a budget of 1 stopped some path");
});

test("bench frontier writes the frontier with its provenance", async () => {
  const suiteFile = join(dir, "suite.jsonl");
  writeMetadataFile(suiteFile, suite);
  // the hash judge's verdicts filed under a registered judge's name: the command asks it nothing
  // (cached verdicts are kept per judge id: these are filed as the shipped zero-shot judge's)
  const zeroShot = `zero-shot ${fileHash(EMBEDDED_JUDGES["zero-shot"])}`;
  for (const im of planFrontier(record, suite, SEED, [1]).images) {
    const v = JSON.parse(readFileSync(verdictsFile(record, im.seed, "hash"), "utf8")) as { for: { judge: string } };
    writeFileSync(verdictsFile(record, im.seed, "zero-shot"), JSON.stringify({ ...v, for: { ...v.for, judge: zeroShot } }));
  }
  const models = saveTiny(dir);
  const out = join(dir, "results", "frontier.json");
  mkdirSync(dirname(out));
  const args = ["bench", "frontier", "--record", record, "--judge", "zero-shot", "--suite", suiteFile, "--seed", String(SEED), "--ns", "1,2,4", "--max-survivors", "1"];
  const r = await cli([...args, "--generator", models.generator, "--tokenizer", models.tokenizer, "--json", "--out", out]);
  assert.equal(r.code, 0, r.err);
  const asked = judge.asked;
  const expected = await computeFrontier(planFrontier(record, suite, SEED, [1, 2, 4]), { pipeline, judge: { name: judge.name, id: zeroShot, judge: (r) => judge.judge(r) }, judgeName: "zero-shot", maxSurvivors: 1 });
  assert.equal(judge.asked, asked, "every verdict came from the cache");
  assert.equal(r.out.trim().split("\n").length, 1, "--json: one line");
  assert.deepEqual(JSON.parse(r.out), { suite: suiteFile, judge_id: zeroShot, ...expected }, "the frontier, as computed from the recording, with the judge's weights");
  const file = JSON.parse(readFileSync(out, "utf8")) as { frontier: object };
  assert.deepEqual(file.frontier, JSON.parse(r.out));
  for (const key of ["command", "git_commit", "date", "machine"]) assert.ok(key in file, `provenance: ${key}`);
});

test("bad input to the frontier: one line, exit 2, before any model loads", async () => {
  const suiteFile = join(dir, "suite.jsonl");
  const frontier = (...more: string[]) => cli(["bench", "frontier", "--record", record, "--judge", "hash", "--suite", suiteFile, "--seed", String(SEED), "--quiet", ...more]);
  for (const [args, message] of [
    [["--ns", "1,8"], /N=8 is above the 4 paths recorded per image/],
    [["--ns", "1,0"], /\[1, 1024\]/],
    [["--ns", "1,,2"], /\[1, 1024\]/],
    [["--seed", "8"], /no recording of this suite with seed 8/],
    [["--record", join(dir, "missing")], /not a folder/],
  ] as const) {
    const r = await frontier(...args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
    assert.match(r.err, message);
    assert.equal(r.err.trim().split("\n").length, 1, `one line: ${r.err}`);
  }
  // an unfinished recording: one image of the last prompt missing
  const last = recordingFile(record, sampleSeed(SEED, 1, K - 1));
  renameSync(last, `${last}.aside`);
  try {
    assert.throws(() => planFrontier(record, suite, SEED, [1]), (e: unknown) => e instanceof InputError && /prompt 1 has 1 recorded images and prompt 0 has 2/.test((e as Error).message));
  } finally {
    renameSync(`${last}.aside`, last);
  }
});
