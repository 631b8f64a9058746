// The results table: row names for aligned generators, and each run paired with the baseline
// that shares most of its images.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type EvalFile, baselineFor, resultsTable, rowLabel, versusBaseline } from "../../src/eval/table.js";
import { readMetadataFile } from "../../src/geneval/metadata.js";
import { DEFAULT_GENERATOR_WEIGHTS } from "../../src/models/paths.js";
import { TAGS, type Tag } from "../../src/geneval/types.js";

const SUITE = "suites/geneval-shapes.jsonl";
const PROMPTS = readMetadataFile(SUITE).length;

/** An evaluation of the suite where image i is correct when right(i). */
function run(strategy: string, k: number, right: (i: number) => boolean, generator?: string): EvalFile {
  const correct = Array.from({ length: PROMPTS * k }, (_, i) => (right(i) ? "1" : "0")).join("");
  const byTag = Object.fromEntries(TAGS.map((t) => [t, 0])) as Record<Tag, number>;
  return {
    overall: 0,
    by_tag: byTag,
    images: PROMPTS * k,
    nfe_per_image: 36,
    judge_calls_per_image: 0,
    per_image_correct: correct,
    settings: { strategy, judge: strategy === "none" ? null : "fine-tuned", n: 20, images_per_prompt: k, suite: SUITE, generator },
  };
}

test("rows name the aligned generator, alone or after the strategy", () => {
  const s = (strategy: string, generator?: string) => rowLabel(run(strategy, 1, () => false, generator).settings);
  assert.equal(s("none"), "baseline");
  assert.equal(s("none", DEFAULT_GENERATOR_WEIGHTS), "baseline");
  assert.equal(s("none", "models/generator-dpo.safetensors"), "DPO");
  assert.equal(s("parm", "/abs/models/generator-dpo-iter.safetensors"), "PARM (N=20) + iterative DPO");
  assert.equal(s("parm", "models/generator-dpo-rg.safetensors"), "PARM (N=20) + reward-guided iterative DPO");
  assert.equal(s("none", "models/generator.safetensors"), "baseline", "eval's default, relative to the package");
  assert.equal(s("none", "runs/dpo/plain/round-1/generator.safetensors"), "runs/dpo/plain/round-1/generator", "a round's weights are not the base model");
});

test("a run is paired with a baseline of its own flat-background penalty, where there is one", () => {
  const withPenalty = (f: EvalFile, flat: number): EvalFile => ({ ...f, settings: { ...f.settings, flat_penalty: flat } });
  const old4 = run("none", 4, () => false); // made before the penalty: no flat_penalty, read as 0
  const new4 = withPenalty(run("none", 4, () => true), 2);
  const new1 = withPenalty(run("none", 1, () => true), 2);
  assert.equal(baselineFor([old4, new4], run("parm", 4, () => true)), old4, "a row without the penalty: the baseline without it, listed first or not");
  assert.equal(baselineFor([new4, old4], run("parm", 4, () => true)), old4);
  assert.equal(baselineFor([old4, new4], withPenalty(run("parm", 4, () => true), 2)), new4);
  assert.equal(baselineFor([old4, new1], withPenalty(run("parm", 4, () => true), 2)), new1, "its own rule first, fewer shared images or not");
  assert.throws(() => baselineFor([old4], withPenalty(run("parm", 4, () => true), 2)), /no baseline decoded with flat-background penalty 2/, "never another rule's baseline");
  const zero4 = withPenalty(old4, 0);
  assert.equal(baselineFor([new4, zero4], run("parm", 4, () => true)), zero4, "a penalty of 0 is the same rule as none");
});

test("each run is paired with the baseline sharing most of its images", () => {
  const base1 = run("none", 1, () => false);
  const base4 = run("none", 4, (i) => i % 4 === 0); // a quarter right
  assert.equal(baselineFor([base1, base4], run("none", 4, () => true)), base4);
  assert.equal(baselineFor([base1, base4], run("parm", 1, () => true)), base1);
  assert.equal(baselineFor([base4, base1], run("parm", 2, () => true)), base4, "k=2 shares 2 images with the k=4 baseline, 1 with the other");
  // every image right removes all of the error, against either baseline
  assert.equal(versusBaseline([base1, base4], run("none", 4, () => true))!.error_removed, 1);
  // the k=4 run equal to the k=4 baseline removes nothing; against the k=1 baseline (all wrong) it would remove a quarter
  const same = versusBaseline([base1, base4], run("none", 4, (i) => i % 4 === 0))!;
  assert.equal(same.error_removed, 0);
  assert.equal(versusBaseline([base1, base4], base4), null);
  const table = resultsTable([base1, base4], [run("none", 4, () => true, "models/generator-dpo.safetensors")]).trim().split("\n");
  assert.equal(table.length, 5, "header, rule, two baselines, one run");
  assert.match(table[4], /^\| DPO \| 320 x 4 \|.*\| 100% \(100\.\.100%\) \|/);
  assert.match(table[3], /^\| baseline \| 320 x 4 \|.*\| - \| - \|/);
});

test("the table names the rows whose images are not all of one precision, and only those", () => {
  const base = { ...run("none", 4, () => false), images_by_precision: { bfloat16: PROMPTS * 4 } };
  const resumed = { ...run("parm", 4, () => true), images_by_precision: { unrecorded: 20, float32: PROMPTS * 4 - 20 } };
  assert.ok(!resultsTable([base], [run("parm", 4, () => true)]).includes("precision"), "one precision, or none kept: no note");
  const table = resultsTable([base], [resumed]);
  assert.ok(table.endsWith(`\nImages by precision, where a row's are not all one: PARM (N=20): 20 unrecorded, ${(PROMPTS * 4 - 20).toLocaleString("en-US")} float32.\n`), table);
});
