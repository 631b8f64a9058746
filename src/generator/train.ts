// Trains the masked-token generator on renders of training prompts (never a test prompt),
// tokenized by the frozen VQ tokenizer: random cosine-schedule masking, cross-entropy on the
// masked positions, and prompt dropout for classifier-free guidance. Resumable.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { AdamW, F, clipGradNorm, cosineWithWarmup, manualSeed, noGrad, tensor, tidy } from "../torch/index.js";
import { mulberry32 } from "../util/prng.js";
import { imagesToTensor } from "../tokenizer/pixels.js";
import type { VQAutoencoder } from "../tokenizer/vq.js";
import { writeLossCurve } from "../train/loss-curve.js";
import { copyWeights, loadCheckpoint, saveCheckpoint, saveWeights } from "../train/checkpoint.js";
import { trainingBatch } from "../train/data.js";
import { writeTrainingSummary } from "../train/summary.js";
import { type LogEntry, TrainLog } from "../train/log.js";
import { IGNORE, maskTokens } from "./masking.js";
import { type GeneratorConfig, MaskedGenerator } from "./model.js";
import { promptIds } from "./prompt.js";

export interface TrainGeneratorOptions {
  runDir: string; // checkpoint and log
  out: string; // final weights
  steps: number;
  batch: number;
  lr: number;
  weightDecay: number;
  seed: number;
  condDropout: number; // share of rows trained unconditionally ([NULL] prompt), for CFG
  config: GeneratorConfig;
  checkpointEvery: number;
  /** where the finished run's summary goes (results/train-generator.json), with provenance */
  results?: string;
  /** Stop after this step, checkpointed, without finishing (a time-boxed part of a run); rerun to go on. */
  stopAt?: number;
  logEvery: number;
  onLog?: (entry: LogEntry) => void;
  /** start from these weights instead of a fresh init (fine-tuning) */
  init?: string;
  /** the rows of a step (default: renders of training prompts); a pure function of the step */
  batches?: (step: number) => GeneratorBatch;
  /** written into the weights' metadata */
  kind?: string;
}

/** One step's rows: prompt ids, target image tokens, and for self-correction a reason and a previous image. */
export interface GeneratorBatch {
  text: number[][];
  tokens: number[][];
  reason?: number[][];
  previous?: number[][];
}

/** Renders of training prompts, tokenized, with prompt dropout for classifier-free guidance. */
export function renderBatch(o: Pick<TrainGeneratorOptions, "seed" | "batch" | "condDropout" | "config">, vq: VQAutoencoder, step: number): GeneratorBatch {
  const L = o.config.imageTokens;
  const { metas, images } = trainingBatch(o.seed, step, o.batch, vq.config.imageSize);
  const tokens = noGrad(() => tidy(() => vq.encode(imagesToTensor(images)).reshape([o.batch, L]).toArray()));
  const drop = mulberry32(o.seed * 7919 + step);
  return {
    text: metas.map((m) => promptIds(drop() < o.condDropout ? null : m.prompt, o.config.maxText)),
    tokens: Array.from({ length: o.batch }, (_, i) => tokens.slice(i * L, (i + 1) * L)),
  };
}

export function trainGenerator(o: TrainGeneratorOptions, vq: VQAutoencoder): MaskedGenerator {
  mkdirSync(o.runDir, { recursive: true });
  const ckpt = join(o.runDir, "checkpoint.safetensors");
  manualSeed(o.seed);
  const model = new MaskedGenerator(o.config);
  if (o.init) copyWeights(model, o.init);
  const opt = new AdamW(model.namedParameters(), { lr: o.lr, betas: [0.9, 0.98], weightDecay: o.weightDecay });
  const start = loadCheckpoint(ckpt, model, opt)?.step ?? 0;
  const log = new TrainLog(join(o.runDir, "log.jsonl"), start);
  const L = o.config.imageTokens;
  let sum = 0;
  let dataMs = 0;
  let t0 = performance.now();
  for (let step = start; step < Math.min(o.steps, o.stopAt ?? o.steps); step++) {
    manualSeed(o.seed * 1_000_003 + step); // masks and dropout of a step are fixed by its number
    const d0 = performance.now();
    const b = o.batches ? o.batches(step) : renderBatch(o, vq, step);
    dataMs += performance.now() - d0;
    const B = b.tokens.length;
    const rows = (r: number[][] | undefined, width: number) => (r ? tensor(r.flat(), [B, width], "int64") : undefined);
    // warmup: 300 steps, or a tenth of a short run (the scaling probe's)
    opt.lr = cosineWithWarmup(step, { lr: o.lr, minLr: o.lr / 10, warmupSteps: Math.min(300, Math.ceil(o.steps / 10)), totalSteps: o.steps });
    sum += tidy(() => {
      const { input, target } = maskTokens(b.tokens, model.maskId, L);
      const logits = model.forward({ text: rows(b.text, o.config.maxText)!, image: input, reason: rows(b.reason, o.config.maxReason), previous: rows(b.previous, L) });
      const loss = F.crossEntropy(logits.reshape([-1, o.config.codebookSize]), target.reshape([-1]), { ignoreIndex: IGNORE });
      opt.zeroGrad();
      loss.backward();
      clipGradNorm(model.parameters(), 1);
      opt.step();
      return loss.item();
    });
    if ((step + 1) % o.logEvery === 0) {
      const ms = performance.now() - t0;
      // model_share: the part of a step spent in the model (forward, backward, optimiser), not in making its data
      const entry = { step: step + 1, loss: sum / o.logEvery, lr: opt.lr, sec_per_step: ms / 1000 / o.logEvery, model_share: 1 - dataMs / ms };
      log.append(entry);
      o.onLog?.(entry);
      sum = 0;
      dataMs = 0;
      t0 = performance.now();
    }
    if ((step + 1) % o.checkpointEvery === 0 || step + 1 === o.steps || step + 1 === o.stopAt) {
      saveCheckpoint(ckpt, model, opt, { step: step + 1 });
      writeLossCurve(join(o.runDir, "log.jsonl"), ["loss"], "generator", join(o.runDir, "loss.png"));
    }
  }
  // a time-boxed part of a run also leaves its current weights and summary, marked unfinished:
  // what ships while a long run goes on
  const done = Math.min(o.steps, o.stopAt ?? o.steps);
  if (done <= start) return model;
  const finished = done === o.steps;
  saveWeights(o.out, model, o.config, { steps: String(o.steps), step: String(done), finished: String(finished), seed: String(o.seed), ...(o.kind ? { kind: o.kind } : {}), ...(o.init ? { init: o.init } : {}) });
  if (o.results) writeTrainingSummary(o.results, join(o.runDir, "log.jsonl"), model, o.config, { steps: o.steps, batch: o.batch, lr: o.lr, seed: o.seed, finished });
  return model;
}
