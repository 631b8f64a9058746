// Self-correction data and models: --reasons picks the reason each wrong image is trained with
// (the reflecting judge's, the detector's, or none), every source keeps the same rows, and each
// trained model records its source (weights' metadata and summary) and loads only in its place.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { type ReasonGiver, correctionBatch, correctionGroups } from "../../src/align/self-correct.js";
import { UNSPECIFIED_REASON } from "../../src/geneval/observe.js";
import type { Detection, PromptMeta } from "../../src/geneval/types.js";
import { MaskedGenerator } from "../../src/generator/model.js";
import { specialId } from "../../src/tokenizer/text.js";
import { type CollectedPath, type CollectedPrompt, writeChunk } from "../../src/judges/collect.js";
import type { Judge, Reflection } from "../../src/judges/judge.js";
import { disposePipeline, loadPipeline } from "../../src/models/load.js";
import { type RGBImage, createImage } from "../../src/shapes/image.js";
import { tokenizerId } from "../../src/tokenizer/id.js";
import { VQAutoencoder } from "../../src/tokenizer/vq.js";
import { dispose, manualSeed } from "../../src/torch/index.js";
import { readWeightsConfig, saveWeights } from "../../src/train/checkpoint.js";
import { cli } from "../fixtures/cli.js";
import { GEN_CONFIG, VQ_CONFIG, saveTiny, tinyPipeline } from "./tiny.js";

const two: PromptMeta = { tag: "counting", include: [{ class: "circle", count: 2 }], exclude: [{ class: "circle", count: 3 }], prompt: "a photo of two circles" };
const circle = (x: number): Detection => ({ class: "circle", box: [x, 5, x + 10, 15], confidence: 0.99, color: "red" });
/** A path of two steps whose final grid is all `final` (its first step all 0: never the judge's image). */
const path = (id: number, final: number, correct: boolean, detections: Detection[]): CollectedPath => ({
  path: id,
  seed: id,
  predictions: [Array(16).fill(0), Array(16).fill(final)],
  correct,
  detections,
  rollout: null,
  clearFrom: 1,
});
// one circle found (detector: "found one"), three found, and a right final
const data: CollectedPrompt[] = [{ meta: two, paths: [path(0, 5, false, [circle(5)]), path(1, 7, false, [circle(5), circle(25), circle(45)]), path(2, 9, true, [circle(5), circle(25)])] }];

/** Decodes a grid to an image whose first byte is the grid's first token, so the judge can tell which image it sees. */
const decode = (grids: Int32Array[]): RGBImage[] =>
  grids.map((g) => {
    const img = createImage(4, 4);
    img.data[0] = g[0];
    return img;
  });

/** Says "found three" of the final of path 0 (the detector found one there) and yes to the final of path 1. */
class ReasonJudge implements Judge {
  readonly name = "stub";
  seen: number[] = [];
  async judge(): Promise<never[]> {
    return [];
  }
  async reflect(_prompt: string, image: RGBImage): Promise<Reflection> {
    this.seen.push(image.data[0]);
    return image.data[0] === 5 ? { pYes: 0.1, reason: "expected two circles , found three" } : { pYes: 0.8, reason: null };
  }
}

test("--reasons: the judge's reasons on the wrong finals, the detector's, or none, on the same rows", async () => {
  const judge = new ReasonJudge();
  const byJudge = await correctionGroups(data, { source: "judge", judge, decode });
  const byDetector = await correctionGroups(data, { source: "detector" });
  const none = await correctionGroups(data, { source: "none" });
  assert.deepEqual(judge.seen, [5, 7], "the judge reflects on each failing final, never on an earlier step or a right final");
  assert.deepEqual(
    byDetector.groups.map((g) => g.reason),
    ["expected two circles , found one", "expected two circles , found three"],
  );
  assert.deepEqual(byJudge.groups.map((g) => g.reason), ["expected two circles , found three", UNSPECIFIED_REASON], "the judge's words, and the generic reason where it said yes");
  assert.notEqual(byJudge.groups[0].reason, byDetector.groups[0].reason, "where the judge misreads the image, its reason is what the model trains on");
  assert.equal(byJudge.judgeAccepted, 1);
  assert.equal(byDetector.judgeAccepted, 0);
  assert.deepEqual(none.groups.map((g) => g.reason), ["", ""]);
  const rows = (d: typeof none) => d.groups.map(({ meta, wrong, right }) => ({ meta, wrong, right }));
  assert.deepEqual(rows(byJudge), rows(byDetector), "only the reasons differ between sources");
  assert.deepEqual(rows(none), rows(byDetector));
  assert.deepEqual(byDetector.groups[0].right, [Array(16).fill(9)]);
  await assert.rejects(correctionGroups(data, { source: "judge", judge: { name: "plain", judge: async () => [] }, decode } satisfies ReasonGiver), /does not reflect/);
});

test("a model trained without reasons sees an empty reason segment in every row", async () => {
  const { tokenizer } = tinyPipeline();
  const { groups } = await correctionGroups(data, { source: "none" });
  const b = correctionBatch(groups, tokenizer, { batch: 6, seed: 2, maxText: 16, maxReason: 8, imageTokens: 16, condDropout: 0, noReason: 0 }, 0);
  assert.ok(b.reason!.every((r) => r.every((id) => id === specialId("[PAD]"))));
  const { groups: judged } = await correctionGroups(data, { source: "detector" });
  const c = correctionBatch(judged, tokenizer, { batch: 6, seed: 2, maxText: 16, maxReason: 8, imageTokens: 16, condDropout: 0, noReason: 0 }, 0);
  assert.ok(c.reason!.every((r) => r.some((id) => id !== specialId("[PAD]"))));
});

const metadata = (file: string): Record<string, string> => {
  const { tensors, metadata: m } = readWeightsConfig(file);
  dispose([...tensors.values()]);
  return m;
};

test("train self-correct records its reasons in the weights and the summary; each model loads only in its place", async () => {
  const dir = mkdtempSync(join(tmpdir(), "imagecot-sc-"));
  const tiny = saveTiny(dir);
  writeChunk(join(dir, "paths"), 0, data);
  const run = async (reasons: string, ...more: string[]) => {
    const files = { out: join(dir, `sc-${reasons}.safetensors`), results: join(dir, `sc-${reasons}.json`) };
    const r = await cli(["train", "self-correct", "--data", join(dir, "paths"), "--reasons", reasons, "--init", tiny.generator, "--tokenizer", tiny.tokenizer, "--run-dir", join(dir, `run-${reasons}`), "--out", files.out, "--results", files.results, "--steps", "2", "--batch", "2", "--quiet", ...more]);
    return { ...r, ...files };
  };
  const none = await run("none");
  assert.equal(none.code, 0, none.err);
  assert.match(none.err, /2 groups .* none reasons/);
  assert.equal(metadata(none.out).reasons, "none");
  assert.equal(metadata(none.out).reason_dropout, "0", "no reason to drop");
  const summary = JSON.parse(readFileSync(none.results, "utf8")) as { training: { settings: Record<string, unknown> } };
  assert.equal(summary.training.settings.reasons, "none");
  const detector = await run("detector");
  assert.equal(detector.code, 0, detector.err);
  assert.deepEqual([metadata(detector.out).reasons, metadata(detector.out).reason_dropout], ["detector", "0.2"]);
  const judged = await run("none", "--judge", "fine-tuned");
  assert.equal(judged.code, 2);
  assert.match(judged.err, /--reasons none asks no judge/);

  const p = loadPipeline(tiny.generator, tiny.tokenizer, detector.out, none.out);
  assert.ok(p.corrector instanceof MaskedGenerator && p.correctorNoReason instanceof MaskedGenerator, "both self-correction generators are loaded");
  disposePipeline(p);
  assert.throws(() => loadPipeline(tiny.generator, tiny.tokenizer, undefined, detector.out), /records detector reasons: the no-reason ablation's model is trained with 'train self-correct --reasons none'/);
  assert.throws(() => loadPipeline(tiny.generator, tiny.tokenizer, none.out), /was trained without reasons/);
  // the tokenizer-id check holds for the no-reason model too
  manualSeed(99);
  const other = new VQAutoencoder(VQ_CONFIG);
  const stranger = join(dir, "sc-other-tokenizer.safetensors");
  saveWeights(stranger, new MaskedGenerator(GEN_CONFIG), { ...GEN_CONFIG, tokenizer: tokenizerId(other) }, { reasons: "none" });
  assert.throws(() => loadPipeline(tiny.generator, tiny.tokenizer, undefined, stranger), /sc-other-tokenizer.safetensors was trained with tokenizer [0-9a-f]{16}, not with /);
});
