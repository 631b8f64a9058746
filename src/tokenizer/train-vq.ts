// Trains the VQ tokenizer on renders of training prompts (never a test prompt), resumably:
// the data of step s is a pure function of (seed, s), so a resumed run sees exactly the
// batches it would have seen, and the checkpoint holds model, optimizer and step.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { AdamW, clipGradNorm, cosineWithWarmup, manualSeed, tidy } from "../torch/index.js";
import { writeLossCurve } from "../train/loss-curve.js";
import { copyMatchingWeights, loadCheckpoint, saveCheckpoint, saveWeights } from "../train/checkpoint.js";
import { trainingBatch } from "../train/data.js";
import { writeTrainingSummary } from "../train/summary.js";
import { type LogEntry, TrainLog } from "../train/log.js";
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
  mkdirSync(o.runDir, { recursive: true });
  const ckpt = join(o.runDir, "checkpoint.safetensors");
  manualSeed(o.seed);
  const model = new VQAutoencoder(o.config);
  if (o.init) copyMatchingWeights(model, o.init);
  const opt = new AdamW(model.namedParameters(), { lr: o.lr, betas: [0.9, 0.99], weightDecay: 0.0 });
  const resumed = loadCheckpoint(ckpt, model, opt);
  const start = resumed?.step ?? 0;
  const log = new TrainLog(join(o.runDir, "log.jsonl"), start);
  const usage = new Uint32Array(model.codebookSize); // the flat token last
  let sums = { loss: 0, recon: 0 };
  let t0 = performance.now();
  for (let step = start; step < Math.min(o.steps, o.stopAt ?? o.steps); step++) {
    const { images } = trainingBatch(o.seed, step, o.batch, o.config.imageSize);
    opt.lr = cosineWithWarmup(step, { lr: o.lr, minLr: o.lr / 20, warmupSteps: 200, totalSteps: o.steps });
    const { loss, recon, tokens } = tidy(() => {
      const x = imagesToTensor(images);
      const out = model.forward(x, objectPixelWeight(images, o.objectWeight));
      opt.zeroGrad();
      out.loss.backward();
      clipGradNorm(model.parameters(), 1);
      opt.step();
      return { loss: out.loss.item(), recon: out.reconLoss.item(), tokens: out.tokens.toArray() };
    });
    for (const t of tokens) usage[t]++;
    sums = { loss: sums.loss + loss, recon: sums.recon + recon };
    if ((step + 1) % o.reviveEvery === 0) {
      const dead = [...usage.keys()].filter((k) => k !== model.flatId && usage[k] === 0);
      if (step < o.steps * 0.8) tidy(() => model.reviveCodes(dead, imagesToTensor(images)));
      const entry: LogEntry = {
        step: step + 1,
        loss: sums.loss / o.reviveEvery,
        recon: sums.recon / o.reviveEvery,
        lr: opt.lr,
        codes_used: o.config.codes - dead.length,
        flat_share: usage[model.flatId] / usage.reduce((a, b) => a + b, 0),
        sec_per_step: (performance.now() - t0) / 1000 / o.reviveEvery,
      };
      log.append(entry);
      o.onLog?.(entry);
      usage.fill(0);
      sums = { loss: 0, recon: 0 };
      t0 = performance.now();
    }
    if ((step + 1) % o.checkpointEvery === 0 || step + 1 === o.steps || step + 1 === o.stopAt) {
      saveCheckpoint(ckpt, model, opt, { step: step + 1 });
      writeLossCurve(join(o.runDir, "log.jsonl"), ["loss", "recon"], "VQ tokenizer", join(o.runDir, "loss.png"));
    }
  }
  if ((o.stopAt ?? o.steps) < o.steps) return model;
  saveWeights(o.out, model, o.config, { steps: String(o.steps), seed: String(o.seed), ...(o.init ? { init: o.init } : {}) });
  if (o.results) writeTrainingSummary(o.results, join(o.runDir, "log.jsonl"), model, o.config, { steps: o.steps, batch: o.batch, lr: o.lr, seed: o.seed });
  return model;
}
