// `imagecot train judge`: the data and settings of the two embedded judges.
import { evaluateImage } from "../geneval/rules.js";
import { decodeTokens } from "../generator/pipeline.js";
import { DEFAULT_SAMPLE } from "../generator/sampler.js";
import { type CollectedPrompt, readCollected } from "../judges/collect.js";
import { DEFAULT_MIX, type Example, cleanExamples, pathExample } from "../judges/examples.js";
import { DEFAULT_JUDGE_NET } from "../judges/model.js";
import { trainJudge } from "../judges/train.js";
import { loadVQ } from "../models/load.js";
import { detect } from "../shapes/detector.js";
import { VOCAB } from "../tokenizer/text.js";
import type { VQAutoencoder } from "../tokenizer/vq.js";
import type { LogEntry } from "../train/log.js";
import { mulberry32 } from "../util/prng.js";
import { fromRoot } from "../util/root.js";
import { UserError } from "./run.js";

export interface TrainJudgeCliOptions {
  kind: "zero-shot" | "fine-tuned";
  data?: string;
  tokenizer: string;
  runDir?: string;
  out?: string;
  results?: string;
  steps: number;
  batch: number;
  lr: number;
  seed: number;
  stopAt?: number;
  init?: string;
  clarityAgreement: number;
}

/** Held-out prompts: one in ten, by position in the collection (prompts differ across collections). */
const isHeldOut = (i: number) => i % 10 === 9;

/**
 * The first step whose intermediate image the detector reads as it reads the final, for at
 * least `agreement` of the paths sampled, balanced over finals that are right and wrong (most
 * finals are wrong, so plain agreement is high from the first blurry step): from there on,
 * steps are labelled "clear".
 */
export function clearFromStep(data: readonly CollectedPrompt[], vq: VQAutoencoder, steps: number, agreement: number, sample = 300): { step: number; agreement: number[] } {
  const paths = data.slice(0, sample).map((p) => ({ meta: p.meta, path: p.paths[0] }));
  const rates = Array.from({ length: steps }, (_, s) => {
    const images = decodeTokens(vq, paths.map((p) => Int32Array.from(p.path.predictions[s])));
    const same = paths.map((p, k) => evaluateImage(p.meta, detect(images[k])).correct === p.path.correct);
    const rate = (correct: boolean) => {
      const idx = paths.flatMap((p, k) => (p.path.correct === correct ? [k] : []));
      return idx.filter((k) => same[k]).length / Math.max(1, idx.length);
    };
    return (rate(true) + rate(false)) / 2;
  });
  return { step: rates.findIndex((r) => r >= agreement), agreement: rates.map((r) => Math.round(r * 1000) / 1000) };
}

export function trainJudgeCommand(o: TrainJudgeCliOptions, onLog: (e: LogEntry) => void): void {
  const runDir = o.runDir ?? `runs/judge-${o.kind}`;
  const out = o.out ?? fromRoot("models", `judge-${o.kind}.safetensors`);
  const results = o.results ?? `results/train-judge-${o.kind}.json`;
  const config = { ...DEFAULT_JUDGE_NET, textVocab: VOCAB.length, maxText: 16 };
  const common = { kind: o.kind, runDir, out, results, steps: o.steps, batch: o.batch, lr: o.lr, seed: o.seed, stopAt: o.stopAt, init: o.init, config, checkpointEvery: 200, logEvery: 50, onLog };
  if (o.kind === "zero-shot") {
    const heldOut = Array.from({ length: 16 }, (_, s) => cleanExamples(o.seed + 7777, s, 64, config.imageSize)).flat();
    trainJudge({ ...common, examples: (step) => cleanExamples(o.seed, step, o.batch, config.imageSize), heldOut }, null);
    return;
  }
  if (!o.data) throw new UserError("--kind fine-tuned needs --data (folders written by 'imagecot data paths')");
  const all = readCollected(o.data.split(","));
  if (all.length === 0) throw new UserError(`no collected paths in ${o.data}`);
  const train = all.filter((_, i) => !isHeldOut(i));
  const held = all.filter((_, i) => isHeldOut(i));
  const vq = loadVQ(o.tokenizer);
  const T = DEFAULT_SAMPLE.steps;
  const clear = clearFromStep(train, vq, T, o.clarityAgreement);
  if (clear.step < 0) throw new UserError(`no step reaches ${o.clarityAgreement} agreement with the final: ${clear.agreement.join(", ")}`);
  process.stderr.write(`clarity: steps >= ${clear.step} are clear (balanced detector agreement with the final by step: ${clear.agreement.join(", ")})\n`);
  const ex = { steps: T, clearFrom: clear.step, mix: DEFAULT_MIX };
  const rng = mulberry32(o.seed + 99);
  const heldOut: Example[] = Array.from({ length: 2048 }, () => pathExample(held, rng, ex));
  trainJudge(
    {
      ...common,
      examples: (step) => {
        const r = mulberry32(o.seed * 1_000_003 + step);
        return Array.from({ length: o.batch }, () => pathExample(train, r, ex));
      },
      heldOut,
      notes: { clarity_agreement: o.clarityAgreement, clear_from_step: clear.step, clarity_agreement_by_step: clear.agreement, train_prompts: train.length, held_out_prompts: held.length, mix: DEFAULT_MIX },
    },
    vq,
  );
}
