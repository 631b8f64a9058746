// The fine-tuned judge's training end to end on hand-made collected paths: groups for the
// ranking term, per-path clarity, and held-out ranking and calibration in the summary.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { trainJudgeCommand } from "../../src/cli/train-judge.js";
import { DEFAULT_SAMPLE } from "../../src/generator/sampler.js";
import type { CollectedPrompt } from "../../src/judges/collect.js";
import { collectionPrompts } from "../../src/judges/collect.js";
import { saveWeights } from "../../src/train/checkpoint.js";
import type { HeldOutScore } from "../../src/judges/train.js";
import { readTrainLog } from "../../src/train/log.js";
import { tinyPipeline, VQ_CONFIG } from "../fixtures/tiny.js";
import { EmbeddedJudge, loadJudgeNet } from "../../src/judges/embedded.js";
import { cleanExamples } from "../../src/judges/examples.js";
import { SHAPE_CLASSES } from "../../src/shapes/world.js";
import type { RGBImage } from "../../src/shapes/image.js";

test("fine-tuned judge: trains on groups of a prompt's paths and reports held-out ranking and calibration", () => {
  const dir = mkdtempSync(join(tmpdir(), "judge-ft-"));
  const { tokenizer } = tinyPipeline();
  saveWeights(join(dir, "vq.safetensors"), tokenizer, VQ_CONFIG);
  const T = DEFAULT_SAMPLE.steps;
  // 20 prompts of 4 paths: paths 0 and 1 right, 2 and 3 wrong; the grids differ by path
  const prompts: CollectedPrompt[] = collectionPrompts(3, 20).map((meta, i) => ({
    meta,
    paths: [0, 1, 2, 3].map((k) => ({
      path: k,
      seed: k,
      predictions: Array.from({ length: T }, (_, t) => Array.from({ length: 16 }, (_, j) => (i + k * 3 + t + j) % 16)),
      correct: k < 2,
      detections: [],
      rollout: { step: 3, correct: [false, k === 2, false] },
      clearFrom: 5 + k,
    })),
  }));
  mkdirSync(join(dir, "paths"));
  writeFileSync(join(dir, "paths", "chunk-00000.json"), JSON.stringify({ prompts }));
  const results = join(dir, "summary.json");
  trainJudgeCommand(
    { kind: "fine-tuned", data: [join(dir, "paths")], tokenizer: join(dir, "vq.safetensors"), runDir: join(dir, "run"), out: join(dir, "judge.safetensors"), results, steps: 50, batch: 8, lr: 1e-3, seed: 1, channels: "8,8", dModel: 16, layers: 1, roundTrip: 0, group: 4, validateEvery: 50 },
    () => {},
  );
  const summary = JSON.parse(readFileSync(results, "utf8")).training.settings;
  const last = readTrainLog(join(dir, "run", "log.jsonl")).at(-1)!;
  assert.ok(last.val_outcome_ranking >= 0 && last.val_potential_ranking <= 1, "held-out ranking is in the log");
  assert.equal(summary.train_prompts, 18);
  assert.equal(summary.held_out_prompts, 2);
  assert.equal(summary.mixed_train_prompts, 18);
  const byQ = Object.fromEntries((summary.held_out.by_question as HeldOutScore[]).map((q) => [q.question, q]));
  for (const q of ["outcome", "potential"]) {
    // each held-out prompt gives one group per question: 2 right x 2 wrong = 4 pairs
    assert.equal(byQ[q].ranking!.pairs, 8, q);
    assert.ok(byQ[q].ranking!.accuracy >= 0 && byQ[q].ranking!.accuracy <= 1);
  }
  assert.ok(byQ.outcome.ece! >= 0 && byQ.outcome.ece! <= 1);
  assert.equal(byQ.clarity.ranking, undefined, "clarity examples are not grouped");
});

test("fine-tuned judge: refuses data without a right and a wrong path for any prompt", () => {
  const dir = mkdtempSync(join(tmpdir(), "judge-ft-"));
  const { tokenizer } = tinyPipeline();
  saveWeights(join(dir, "vq.safetensors"), tokenizer, VQ_CONFIG);
  const T = DEFAULT_SAMPLE.steps;
  const prompts = collectionPrompts(3, 3).map((meta) => ({ meta, paths: [0, 1].map((k) => ({ path: k, seed: k, predictions: Array.from({ length: T }, () => Array(16).fill(0)), correct: false, detections: [], rollout: { step: 1, correct: [false] }, clearFrom: 2 })) }));
  mkdirSync(join(dir, "paths"));
  writeFileSync(join(dir, "paths", "chunk-00000.json"), JSON.stringify({ prompts }));
  assert.throws(
    () => trainJudgeCommand({ kind: "fine-tuned", data: [join(dir, "paths")], tokenizer: join(dir, "vq.safetensors"), steps: 2, batch: 8, lr: 1e-3, seed: 1, roundTrip: 0, group: 4 }, () => {}),
    /nothing to rank/,
  );
});

test("zero-shot rules judge: trains on clean renders, reports each near-miss kind, and loads back with its classes to the same answers", async () => {
  const dir = mkdtempSync(join(tmpdir(), "judge-zs-"));
  const out = join(dir, "judge.safetensors");
  const results = join(dir, "summary.json");
  trainJudgeCommand({ kind: "zero-shot", tokenizer: "unused", runDir: join(dir, "run"), out, results, steps: 4, batch: 8, lr: 1e-3, seed: 1, channels: "8,8,16", dModel: 16, layers: 1, answer: "rules", roundTrip: 0, group: 4 }, () => {});
  const held = JSON.parse(readFileSync(results, "utf8")).training.settings.held_out;
  assert.ok(held.balanced_accuracy >= 0 && held.balanced_accuracy <= 1);
  assert.ok(["match", "class", "missing", "other"].every((k) => held.by_kind[k].examples > 0), JSON.stringify(held.by_kind));
  const { net } = loadJudgeNet(out);
  assert.deepEqual(net.config.classes, [...SHAPE_CLASSES]);
  assert.equal(net.config.answer, "rules");
  const image = cleanExamples(5, 0, 1, 64)[0].image as RGBImage;
  const [a] = await new EmbeddedJudge("zero-shot", net, true).judge([{ question: "outcome", prompt: "a photo of two circles", image }]);
  const [b] = await new EmbeddedJudge("zero-shot", loadJudgeNet(out).net, true).judge([{ question: "outcome", prompt: "a photo of two circles", image }]);
  assert.ok(Math.abs(a.pYes - b.pYes) < 1e-6 && a.pYes > 0 && a.pYes < 1);
  assert.throws(
    () => trainJudgeCommand({ kind: "fine-tuned", data: [dir], init: out, answer: "head", dModel: 16, tokenizer: "unused", steps: 2, batch: 8, lr: 1e-3, seed: 1, roundTrip: 0, group: 4 }, () => {}),
    /--answer differ from the architecture of --init/,
    "fine-tuning keeps the starting judge's architecture",
  );
});

test("rules judge: --reading-weight adds the named objects' readings to the loss, and the summary records it", () => {
  const dir = mkdtempSync(join(tmpdir(), "judge-rw-"));
  const run = (readingWeight: number | undefined, name: string) => {
    const results = join(dir, `${name}.json`);
    trainJudgeCommand({ kind: "zero-shot", tokenizer: "unused", runDir: join(dir, name), out: join(dir, `${name}.safetensors`), results, steps: 3, batch: 8, lr: 1e-3, seed: 1, channels: "8,8,16", dModel: 16, layers: 1, answer: "rules", roundTrip: 0, group: 4, readingWeight }, () => {});
    const summary = JSON.parse(readFileSync(results, "utf8")).training;
    return { weight: summary.settings.reading_weight, loss: summary.final.loss as number };
  };
  const plain = run(undefined, "default");
  const weighted = run(2, "weighted");
  assert.equal(plain.weight, 0, "a rules judge's default: its class tokens carry the readings");
  assert.equal(weighted.weight, 2);
  assert.ok(weighted.loss > plain.loss, `the same batches with the readings added cost more: ${weighted.loss} vs ${plain.loss}`);
  assert.throws(() => trainJudgeCommand({ kind: "zero-shot", tokenizer: "unused", steps: 1, batch: 8, lr: 1e-3, seed: 1, roundTrip: 0, group: 4, readingWeight: -1 }, () => {}), /--reading-weight must be 0 or more/);
});
