// Trains the VQ tokenizer on renders of training prompts (never a test prompt), resumably
// (../train/harness.ts): the data of step s is a pure function of (seed, s), so a resumed run
// sees exactly the batches it would have seen.
import { join } from "node:path";
import { AdamW, manualSeed, tidy } from "../torch/index.js";
import { copyMatchingWeights, saveWeights } from "../train/checkpoint.js";
import { type TrainingBatch, trainingBatch } from "../train/data.js";
import { runSettings, runTraining } from "../train/harness.js";
import { writeTrainingSummary } from "../train/summary.js";
import type { LogEntry } from "../train/log.js";
import { imagesToTensor, objectPixelWeight } from "./pixels.js";
import { DEFAULT_VQ, type VQConfig, VQAutoencoder } from "./vq.js";

export interface TrainVQOptions {
  runDir: string; // checkpoint and log live here
  out: string; // final weights (safetensors)
  steps: number;
  batch: number;
  lr: number;
  seed: number;
  config: VQConfig;
  objectWeight: number; // loss weight of object pixels relative to background
  checkpointEvery: number;
  /** where the finished run's summary goes (results/train-tokenizer.json), with provenance */
  results?: string;
  /** Stop after this step, checkpointed, without finishing (a time-boxed part of a run); rerun to go on. */
  stopAt?: number;
  reviveEvery: number; // steps between revivals of unused codes (first 80% of training), and between log lines
  /** start from these weights: every tensor of the same name and shape is copied (a changed quantiser keeps the conv trunk) */
  init?: string;
  onLog?: (entry: LogEntry) => void;
}

export const DEFAULT_TRAIN_VQ: Omit<TrainVQOptions, "runDir" | "out"> = {
  steps: 6000,
  batch: 32,
  lr: 2e-3,
  seed: 1,
  config: DEFAULT_VQ,
  objectWeight: 8,
  checkpointEvery: 200,
  reviveEvery: 100,
};

export function trainVQ(o: TrainVQOptions): VQAutoencoder {
  manualSeed(o.seed);
  const model = new VQAutoencoder(o.config);
  if (o.init) copyMatchingWeights(model, o.init);
  const opt = new AdamW(model.namedParameters(), { lr: o.lr, betas: [0.9, 0.99], weightDecay: 0.0 });
  const usage = new Uint32Array(model.codebookSize); // the flat token last
  let last: TrainingBatch | null = null;
  const run = runTraining({
    ...runSettings(o),
    model,
    optimizer: opt,
    schedule: { lr: o.lr, minLr: o.lr / 20, warmupSteps: 200, totalSteps: o.steps }, // the shipped tokenizer's
    logEvery: o.reviveEvery,
    data: (step) => (last = trainingBatch(o.seed, step, o.batch, o.config.imageSize)),
    loss: ({ images }) => {
      const out = model.forward(imagesToTensor(images), objectPixelWeight(images, o.objectWeight));
      for (const t of out.tokens.toArray()) usage[t]++;
      return { loss: out.loss, metrics: { recon: out.reconLoss.item() } };
    },
    // every log line: codes no input used are revived (first 80% of training), from the last batch's patches with a shape
    onLogLine: (step) => {
      const dead = [...usage.keys()].filter((k) => k !== model.flatId && usage[k] === 0);
      if (step < o.steps * 0.8 && last) tidy(() => model.reviveCodes(dead, imagesToTensor(last!.images)));
      const figures = { codes_used: o.config.codes - dead.length, flat_share: usage[model.flatId] / usage.reduce((a, b) => a + b, 0) };
      usage.fill(0);
      return figures;
    },
    curve: { metrics: ["loss", "recon"], title: "VQ tokenizer" },
  });
  if (!run.finished) return model;
  saveWeights(o.out, model, o.config, { steps: String(o.steps), seed: String(o.seed), ...(o.init ? { init: o.init } : {}) });
  if (o.results) writeTrainingSummary(o.results, join(o.runDir, "log.jsonl"), model, o.config, { steps: o.steps, batch: o.batch, lr: o.lr, seed: o.seed });
  return model;
}
