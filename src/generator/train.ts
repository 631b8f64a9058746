// Trains the masked-token generator on renders of training prompts (never a test prompt),
// tokenized by the frozen VQ tokenizer: random cosine-schedule masking, cross-entropy on the
// masked positions, and prompt dropout for classifier-free guidance. Resumable (../train/harness.ts).
import { join } from "node:path";
import { AdamW, manualSeed, tensor } from "../torch/index.js";
import { mulberry32 } from "../util/prng.js";
import type { VQAutoencoder } from "../tokenizer/vq.js";
import { copyWeights, saveWeights } from "../train/checkpoint.js";
import { trainingBatch } from "../train/data.js";
import { defaultSchedule, runSettings, runTraining } from "../train/harness.js";
import { writeTrainingSummary } from "../train/summary.js";
import type { LogEntry } from "../train/log.js";
import { maskTokens, maskedTokenLoss } from "./masking.js";
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
  /** what the run was trained on, written into the weights' metadata and the summary's settings */
  recorded?: Record<string, string | number>;
  /** more of what a resumed run must share with its checkpoint */
  state?: Record<string, unknown>;
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
  const { metas, images } = trainingBatch(o.seed, step, o.batch, vq.config.imageSize);
  const drop = mulberry32(o.seed * 7919 + step);
  return {
    text: metas.map((m) => promptIds(drop() < o.condDropout ? null : m.prompt, o.config.maxText)),
    tokens: vq.tokenize(images),
  };
}

export function trainGenerator(o: TrainGeneratorOptions, vq: VQAutoencoder): MaskedGenerator {
  manualSeed(o.seed);
  const model = new MaskedGenerator(o.config);
  if (o.init) copyWeights(model, o.init);
  const opt = new AdamW(model.namedParameters(), { lr: o.lr, betas: [0.9, 0.98], weightDecay: o.weightDecay });
  const L = o.config.imageTokens;
  const rows = (r: number[][] | undefined, B: number, width: number) => (r ? tensor(r.flat(), [B, width], "int64") : undefined);
  const run = runTraining({
    ...runSettings(o),
    model,
    optimizer: opt,
    schedule: defaultSchedule(o.lr, o.steps),
    logEvery: o.logEvery,
    // resuming a folder with another tokenizer, batch, learning rate, seed or length is refused
    state: { tokenizer: o.config.tokenizer ?? null, batch: o.batch, lr: o.lr, seed: o.seed, steps: o.steps, ...o.state },
    data: (step) => (o.batches ? o.batches(step) : renderBatch(o, vq, step)),
    loss: (b) => {
      const B = b.tokens.length;
      const { input, target } = maskTokens(b.tokens, model.maskId, L);
      const logits = model.forward({ text: rows(b.text, B, o.config.maxText)!, image: input, reason: rows(b.reason, B, o.config.maxReason), previous: rows(b.previous, B, L) });
      return { loss: maskedTokenLoss(logits, target) };
    },
    curve: { metrics: ["loss"], title: "generator" },
  });
  // a time-boxed part of a run also leaves its current weights and summary, marked unfinished:
  // what ships while a long run goes on (a rerun at the step reached writes them again)
  const recorded = Object.fromEntries(Object.entries(o.recorded ?? {}).map(([k, v]) => [k, String(v)]));
  saveWeights(o.out, model, o.config, { steps: String(o.steps), step: String(run.done), finished: String(run.finished), seed: String(o.seed), ...(o.kind ? { kind: o.kind } : {}), ...(o.init ? { init: o.init } : {}), ...recorded });
  if (o.results) writeTrainingSummary(o.results, join(o.runDir, "log.jsonl"), model, o.config, { steps: o.steps, batch: o.batch, lr: o.lr, seed: o.seed, finished: run.finished, ...o.recorded });
  return model;
}
