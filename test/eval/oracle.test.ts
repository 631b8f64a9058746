// bench oracle reads the judges' cached outcome verdicts and asks no judge: an image without
// them (or with those of other weights under the judge's name) is an error that counts them,
// never a ranking over the part that is cached.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { expectedAccuracy, MissingVerdictsError, oracleFigures, oracleOfRecording } from "../../bench/oracle.js";
import { replayStrategy, verdictsFile } from "../../src/eval/replay.js";
import { evaluateSuite, sampleSeed } from "../../src/eval/run-suite.js";
import type { PromptMeta } from "../../src/geneval/types.js";
import { EmbeddedStepGenerator } from "../../src/generator/embedded-steps.js";
import type { Judge } from "../../src/judges/judge.js";
import { tinyPipeline } from "../fixtures/tiny.js";

const pipeline = tinyPipeline();
const suite: PromptMeta[] = [
  { tag: "single_object", include: [{ class: "circle", count: 1 }], prompt: "a photo of a circle" },
  { tag: "colors", include: [{ class: "star", count: 1, color: "red" }], prompt: "a photo of a red star" },
  { tag: "counting", include: [{ class: "square", count: 2 }], prompt: "a photo of two squares" },
];
const N = 6;
const dir = mkdtempSync(join(tmpdir(), "imagecot-oracle-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("bench oracle: every image's cached outcomes are read, and a missing one is counted in an error", async () => {
  // outcome by the red in the image: some right paths above wrong ones, some below
  const judge: Judge = { name: "red", judge: async (rs) => rs.map((r) => ({ pYes: r.image.data.filter((_, k) => k % 3 === 0).reduce((a, b) => a + b, 0) / r.image.data.length })) };
  const record = join(dir, "record");
  const sample = { steps: 4, cfg: 1.5, temperature: 1, confidenceTemperature: 4.5 };
  await evaluateSuite({ suite, strategy: replayStrategy("best-of-n", record, "red"), ctx: { generator: new EmbeddedStepGenerator(pipeline), judge, n: N, sample }, imagesPerPrompt: 1, seed: 0, out: join(dir, "eval") });
  const red = { name: "red", id: "red" };
  const o = oracleOfRecording(pipeline, record, suite, [red]);
  assert.deepEqual([o.paths, o.images], [N, suite.length]);
  for (const t of ["single_object", "colors", "counting"]) assert.ok(o.expected.by_tag[t] <= o.oracle.by_tag[t], `${t}: one path never beats the best of N`);
  // one image per tag: the tags' mean share of right paths is the mean count of right paths over N
  assert.ok(Math.abs(o.expected.overall - o.mean_correct_paths / N) < 1e-12);
  const r = o.pairwise_ranking!.red;
  assert.ok(r.images <= suite.length && r.pairs <= r.images * (N / 2) ** 2, `${r.pairs} pairs in ${r.images} images`);
  assert.equal(r.pairs > 0, r.images > 0, "pairs come from images with a right and a wrong path");

  assert.throws(
    () => oracleOfRecording(pipeline, record, suite, [{ name: "red", id: "red retrained" }]),
    /: 3 of 3 images lack the red judge's outcome verdicts/,
    "verdicts another judge's weights cached are not read as this one's",
  );
  rmSync(verdictsFile(record, sampleSeed(0, 1, 0), "red"));
  assert.throws(
    () => oracleOfRecording(pipeline, record, suite, [red, { name: "other", id: "other" }]),
    (e: unknown) => e instanceof MissingVerdictsError && e.paths === N && /^1 of 3 images lack the red judge's outcome verdicts; 3 of 3 images lack the other judge's/.test(e.message),
  );
  assert.equal(oracleOfRecording(pipeline, record, suite).images, suite.length, "without judges no verdict is read");
});

test("bench oracle's expected accuracy counts every path as an image of its prompt", () => {
  const [single, colors, counting] = suite;
  const e = expectedAccuracy([
    { meta: single, ok: [true, true, false, false] },
    { meta: single, ok: [true, true, true, true] },
    { meta: counting, ok: [false, false, false, true] },
    { meta: colors, ok: [true, true, true, true] },
  ]);
  // single objects 6 of 8 paths, counting 1 of 4, colours 4 of 4; the overall is the tags' plain mean
  assert.equal(e.by_tag.single_object, 0.75);
  assert.equal(e.by_tag.counting, 0.25);
  assert.equal(e.overall, (0.75 + 0.25 + 1) / 3);
  assert.equal(e.by_tag.position, 0, "a tag without images scores 0, as in the oracle's own figures");
  assert.ok(Math.abs(e.ci95_by_tag.single_object! - 1.96 * Math.sqrt((0.75 * 0.25) / 8)) < 1e-12);
  assert.equal(e.ci95_by_tag.colors, 0, "every path right: no spread");
  assert.equal(e.ci95_by_tag.position, undefined, "no half-width without paths");
  assert.deepEqual(e.weakest_by_tag.single_object, [{ prompt: single.prompt, share: 0.5 }, { prompt: single.prompt, share: 1 }], "the weaker image first");
});

test("bench oracle's figures on hand-made paths: the best of N, path 0, and a judge's pairwise ranking with ties half", () => {
  const [single, , counting] = suite;
  const f = oracleFigures(
    [
      { meta: single, ok: [true, false, false], outcomes: { j: [0.9, 0.5, 0.95] } }, // right over wrong: won, lost
      { meta: single, ok: [false, true, true], outcomes: { j: [0.3, 0.3, 0.8] } }, // a tie (half), won
      { meta: counting, ok: [false, false, false], outcomes: { j: [0.1, 0.2, 0.3] } }, // no right path: no pair
      { meta: counting, ok: [true, true, false], outcomes: { j: [0.2, 0.6, 0.4, 0.99] } }, // lost, won; a cached answer beyond the paths read is not one of them
    ],
    ["j"],
  );
  assert.equal(f.images, 4);
  // a right path among the three: 2 of 2 single objects, 1 of 2 counting images; path 0 right: 1 of 2 each
  assert.deepEqual([f.oracle.by_tag.single_object, f.oracle.by_tag.counting, f.oracle.overall], [1, 0.5, 0.75]);
  assert.deepEqual([f.single.by_tag.single_object, f.single.by_tag.counting, f.single.overall], [0.5, 0.5, 0.5]);
  assert.equal(f.mean_correct_paths, 5 / 4);
  // single objects 2.5 of 4 pairs, counting 1 of 2; the overall is the tags' plain mean; 3 images have a right and a wrong path
  assert.deepEqual(f.pairwise_ranking, { j: { overall: (0.625 + 0.5) / 2, by_tag: { single_object: 0.625, counting: 0.5 }, pairs: 6, images: 3 } });
  // every path counted: single objects 3 of 6, counting 2 of 6
  assert.deepEqual([f.expected.by_tag.single_object, f.expected.by_tag.counting, f.expected.overall], [0.5, 1 / 3, (0.5 + 1 / 3) / 2]);
  assert.equal(oracleFigures([{ meta: single, ok: [true], outcomes: {} }], []).pairwise_ranking, undefined, "no judge, no ranking");
  assert.throws(() => oracleFigures([{ meta: single, ok: [true, false], outcomes: { j: [0.5] } }], ["j"]), /the j judge has 1 outcomes for 2 paths/);
});
