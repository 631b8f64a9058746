// Trains an embedded judge: binary cross-entropy on the yes/no answer, a Bradley-Terry ranking
// term over each group of one prompt's paths (so it learns to order paths, not to sort
// prompts), plus the reflection heads (counts and colours per mentioned object, relations)
// where the example knows them.
// Resumable (../train/harness.ts); a held-out split is scored at the end so the summary says
// how well it judges.
import { join } from "node:path";
import { promptIds } from "../generator/prompt.js";
import { decodeTokens } from "../generator/pipeline.js";
import type { RGBImage } from "../shapes/image.js";
import { imagesToTensor } from "../tokenizer/pixels.js";
import type { VQAutoencoder } from "../tokenizer/vq.js";
import { AdamW, F, type Tensor, manualSeed, noGrad, tensor, tidy } from "../torch/index.js";
import { copyWeights, loadWeights, saveWeights } from "../train/checkpoint.js";
import { runSettings, runTraining } from "../train/harness.js";
import type { LogEntry } from "../train/log.js";
import { writeTrainingSummary } from "../train/summary.js";
import { type Example, QUESTION_ID, stepBucket } from "./examples.js";
import type { Question } from "./judge.js";
import { JudgeNet, type JudgeNetConfig, type JudgeNetInput, SLOTS } from "./model.js";
import { ruleTargets } from "./rules-answer.js";
import { pairwiseAccuracy, pairwiseRankingLoss } from "./ranking.js";
import { expectedCalibrationError } from "./calibration.js";

export interface TrainJudgeOptions {
  kind: string; // what the weights are (zero-shot, fine-tuned): stored in their metadata
  runDir: string;
  out: string;
  steps: number;
  batch: number;
  lr: number;
  seed: number;
  config: JudgeNetConfig;
  /** the examples of a training step: a pure function of the step */
  examples: (step: number) => Example[];
  /** held-out examples, scored at the end */
  heldOut: Example[];
  checkpointEvery: number;
  logEvery: number;
  stopAt?: number;
  results?: string;
  onLog?: (e: LogEntry) => void;
  /** start from these weights (the fine-tuned judge starts from the zero-shot one) */
  init?: string;
  /** how the data was labelled, for the summary */
  notes?: object;
  /** score the held-out examples every this many steps (a multiple of logEvery) into the log: when to stop */
  validateEvery?: number;
  /** weight of the cross-entropy on the prompt's own objects' readings (count, colour); default defaultReadingWeight() */
  readingWeight?: number;
}

/**
 * The default weight of the prompt's own objects' readings: a head judge reads them off its
 * question token, so they are its only reading targets; a rules judge's class tokens are trained
 * on every class, where the classes the prompt names are one or two targets of eight.
 */
const defaultReadingWeight = (config: JudgeNetConfig) => (config.answer === "rules" ? 0 : 0.5);

/** The held-out figures a log line carries: accuracy, and ranking where the examples are grouped. */
function validationLine(report: HeldOutReport): Record<string, number> {
  const line: Record<string, number> = {};
  for (const q of report.by_question) {
    line[`val_${q.question}_accuracy`] = q.accuracy;
    if (q.ranking) line[`val_${q.question}_ranking`] = q.ranking.accuracy;
  }
  if (report.balanced_accuracy !== undefined) line.val_balanced_accuracy = report.balanced_accuracy;
  return line;
}

/** Pixels for every example, decoding token grids with the tokenizer. */
export function examplePixels(examples: readonly Pick<Example, "image">[], vq: VQAutoencoder | null): RGBImage[] {
  const grids = examples.flatMap((e, i) => (Array.isArray(e.image) ? [i] : []));
  if (grids.length > 0 && !vq) throw new Error("token examples need the tokenizer to decode them");
  const decoded = grids.length > 0 ? decodeTokens(vq!, grids.map((i) => Int32Array.from(examples[i].image as number[]))) : [];
  const out = examples.map((e) => e.image) as RGBImage[];
  grids.forEach((i, k) => (out[i] = decoded[k]));
  return out;
}

/** A rules judge's targets: each row's slot classes, and the rules answer where the question is the outcome. */
function rulesFor(items: readonly { prompt: string; question: number }[], classes: readonly string[]) {
  const all = ruleTargets(items.map((x) => x.prompt), SLOTS, classes);
  return { ...all, known: all.known.map((k, i) => (items[i].question === QUESTION_ID.outcome ? k : 0)) };
}

/** The network's input for a batch of examples (or judge requests, which carry the same fields). */
export function judgeInput(net: JudgeNet, images: RGBImage[], items: readonly { prompt: string; question: number; step?: number; steps?: number }[]): JudgeNetInput {
  const c = net.config;
  return {
    // every row's classes (the reflection reads them), the rules answer on outcome rows only
    ...(c.answer === "rules" ? { rules: rulesFor(items, c.classes ?? []) } : {}),
    image: imagesToTensor(images),
    text: tensor(items.flatMap((x) => promptIds(x.prompt, c.maxText)), [items.length, c.maxText], "int64"),
    question: tensor(items.map((x) => x.question), [items.length], "int64"),
    step: tensor(items.map((x) => stepBucket(c.stepBuckets, x.step, x.steps)), [items.length], "int64"),
  };
}

/**
 * Network inputs of questions; as the zero-shot judge asks them: every question as the outcome
 * question about the image. Clarity is asked without the step, so its answer can only come from
 * the image.
 */
export function questionItems(xs: readonly { prompt: string; question: Question; step?: number; steps?: number }[], zeroShot = false) {
  return xs.map((x) =>
    zeroShot ? { prompt: x.prompt, question: QUESTION_ID.outcome } : x.question === "clarity" ? { prompt: x.prompt, question: QUESTION_ID.clarity } : { prompt: x.prompt, question: QUESTION_ID[x.question], step: x.step, steps: x.steps },
  );
}

function asItems(examples: readonly Example[], zeroShot = false) {
  return questionItems(examples.map((e) => ({ ...e, prompt: e.meta.prompt })), zeroShot);
}

/** The loss of a batch: yes/no BCE + reflection terms (masked where unknown). */
function batchLoss(net: JudgeNet, examples: readonly Example[], images: RGBImage[], reading: number): { loss: Tensor; answer: Tensor } {
  const B = examples.length;
  const out = net.forward(judgeInput(net, images, asItems(examples)));
  const yes = tensor(examples.map((e) => (e.yes ? 1 : 0)), [B]);
  let loss = F.bceWithLogits(out.yes, yes);
  // examples without a group are their own group of one: they form no pair
  const ranking = pairwiseRankingLoss(out.yes, examples.map((e, i) => e.group ?? -1 - i), examples.map((e) => e.yes));
  if (ranking) loss = loss.add(ranking);
  // a rules judge's yes head answers what the rules cannot read (other questions, other prompts): trained on every row
  if (out.head) loss = loss.add(F.bceWithLogits(out.head, yes));
  const slot = (f: (o: NonNullable<Example["obs"]>, s: number) => number) =>
    examples.flatMap((e) => Array.from({ length: SLOTS }, (_, s) => (e.obs && s < e.obs.counts.length ? f(e.obs, s) : -100)));
  const counts = slot((o, s) => o.counts[s]);
  // (a rules judge's slots are the named classes' tokens, also trained below on every class)
  if (reading > 0 && counts.some((c) => c !== -100)) {
    loss = loss.add(F.crossEntropy(out.counts.reshape([B * SLOTS, -1]), tensor(counts, [B * SLOTS], "int64"), { ignoreIndex: -100 }).mul(reading));
    loss = loss.add(F.crossEntropy(out.colors.reshape([B * SLOTS, -1]), tensor(slot((o, s) => o.colors[s]), [B * SLOTS], "int64"), { ignoreIndex: -100 }).mul(reading));
  }
  // a rules judge: every class's count and colour, mentioned or not
  const scene = out.scene;
  if (scene && examples.some((e) => e.scene)) {
    const K = scene.counts.size(1);
    const per = (f: (s: NonNullable<Example["scene"]>) => number[]) => examples.flatMap((e) => (e.scene ? f(e.scene) : new Array(K).fill(-100)));
    loss = loss.add(F.crossEntropy(scene.counts.reshape([B * K, -1]), tensor(per((s) => s.counts), [B * K], "int64"), { ignoreIndex: -100 }).mul(0.5));
    loss = loss.add(F.crossEntropy(scene.colors.reshape([B * K, -1]), tensor(per((s) => s.colors), [B * K], "int64"), { ignoreIndex: -100 }).mul(0.5));
  }
  const rel = examples.map((e) => e.obs?.relations ?? null);
  if (rel.some((r) => r !== null)) {
    const mask = tensor(rel.flatMap((r) => (r ? [1, 1, 1, 1] : [0, 0, 0, 0])), [B, 4]);
    const target = tensor(rel.flatMap((r) => (r ? r.map(Number) : [0, 0, 0, 0])), [B, 4]);
    loss = loss.add(F.bceWithLogits(out.relations, target, "none").mul(mask).sum().div(mask.sum()).mul(0.5));
  }
  return { loss, answer: out.yes };
}

export interface HeldOutScore {
  question: string;
  examples: number;
  share_yes: number;
  accuracy: number;
  /** how often a right example of a group scores above a wrong one (groups of one prompt's paths); ci95 from a bootstrap over the groups */
  ranking?: { accuracy: number; pairs: number; ci95: [number, number] };
  /** on the outcome question: expected calibration error of P(yes) over 10 bins, over every outcome example (a mixed prompt's grouped paths included) */
  ece?: number;
}

export interface HeldOutReport {
  by_question: HeldOutScore[];
  /** clean renders: accuracy on each kind (the prompt's scene, each near-miss kind, another prompt's scene) */
  by_kind?: Record<string, { examples: number; accuracy: number }>;
  /** clean renders: the mean of the accuracies on scenes the rules accept and on those they reject (by label: a near miss or another prompt's scene can still match) */
  balanced_accuracy?: number;
}

/** P(yes) of every example, in batches. */
export function answerExamples(net: JudgeNet, examples: readonly Example[], vq: VQAutoencoder | null, zeroShot = false): number[] {
  const pYes: number[] = [];
  for (let i = 0; i < examples.length; i += 128) {
    const part = examples.slice(i, i + 128);
    const images = examplePixels(part, vq);
    pYes.push(...noGrad(() => tidy(() => net.forward(judgeInput(net, images, asItems(part, zeroShot))).yes.sigmoid().toArray())));
  }
  return pYes;
}

/** Accuracy (P(yes) >= 0.5) per question, ranking within groups, calibration, and per kind of clean render. */
export function scoreHeldOut(net: JudgeNet, examples: readonly Example[], vq: VQAutoencoder | null, zeroShot = false): HeldOutReport {
  const pYes = answerExamples(net, examples, vq, zeroShot);
  const right = (i: number) => pYes[i] >= 0.5 === examples[i].yes;
  const accuracy = (idx: number[]) => idx.filter(right).length / Math.max(1, idx.length);
  const questions = [...new Set(examples.map((e) => e.question))];
  const by_question = questions.map((q): HeldOutScore => {
    const idx = examples.flatMap((e, i) => (e.question === q ? [i] : []));
    const grouped = idx.filter((i) => examples[i].group !== undefined);
    const ranking = pairwiseAccuracy(grouped.map((i) => pYes[i]), grouped.map((i) => examples[i].group!), grouped.map((i) => examples[i].yes));
    const ece = q === "outcome" ? expectedCalibrationError(idx.map((i) => pYes[i]), idx.map((i) => examples[i].yes)).ece : undefined;
    return { question: q, examples: idx.length, share_yes: idx.filter((i) => examples[i].yes).length / idx.length, accuracy: accuracy(idx), ...(ranking ? { ranking } : {}), ...(ece !== undefined ? { ece } : {}) };
  });
  const kinds = [...new Set(examples.flatMap((e) => (e.kind ? [e.kind] : [])))].sort();
  if (kinds.length === 0) return { by_question };
  const of = (f: (e: Example) => boolean) => examples.flatMap((e, i) => (f(e) ? [i] : []));
  return {
    by_question,
    by_kind: Object.fromEntries(kinds.map((k) => [k, { examples: of((e) => e.kind === k).length, accuracy: accuracy(of((e) => e.kind === k)) }])),
    balanced_accuracy: (accuracy(of((e) => e.yes)) + accuracy(of((e) => !e.yes))) / 2,
  };
}

export function trainJudge(o: TrainJudgeOptions, vq: VQAutoencoder | null): JudgeNet {
  manualSeed(o.seed);
  const net = new JudgeNet(o.config);
  if (o.init) copyWeights(net, o.init);
  const reading = o.readingWeight ?? defaultReadingWeight(o.config);
  const opt = new AdamW(net.namedParameters(), { lr: o.lr, betas: [0.9, 0.98], weightDecay: 0.05 });
  const run = runTraining({
    ...runSettings(o),
    model: net,
    optimizer: opt,
    schedule: { lr: o.lr, minLr: o.lr / 20, warmupSteps: Math.min(200, o.steps / 10), totalSteps: o.steps }, // the shipped judges'
    logEvery: o.logEvery,
    data: (step) => {
      const examples = o.examples(step);
      return { examples, images: examplePixels(examples, vq) };
    },
    loss: ({ examples, images }) => {
      const { loss, answer } = batchLoss(net, examples, images, reading);
      const a = answer.toArray();
      return { loss, metrics: { accuracy: examples.filter((e, i) => a[i] >= 0 === e.yes).length / examples.length } };
    },
    onLogLine: (step) => {
      if (!o.validateEvery || (step + 1) % o.validateEvery !== 0) return {};
      net.eval();
      const line = validationLine(scoreHeldOut(net, o.heldOut, vq));
      net.train();
      return line;
    },
    curve: { metrics: ["loss"], title: `judge (${o.kind})` },
  });
  if (!run.finished) return net;
  net.eval();
  saveWeights(o.out, net, o.config, { kind: o.kind, steps: String(o.steps), seed: String(o.seed), ...(o.init ? { init: o.init } : {}) });
  if (o.results) {
    const heldOut = scoreHeldOut(net, o.heldOut, vq);
    // the starting judge on the same examples, asked as the zero-shot judge asks: what fine-tuning bought
    const before = o.init ? { held_out_init_as_zero_shot: scoreHeldOut(loadWeights<JudgeNetConfig, JudgeNet>(o.init, (c) => new JudgeNet(c)).model.eval(), o.heldOut, vq, true) } : {};
    writeTrainingSummary(o.results, join(o.runDir, "log.jsonl"), net, o.config, { kind: o.kind, init: o.init ?? null, steps: o.steps, batch: o.batch, lr: o.lr, seed: o.seed, reading_weight: reading, held_out: heldOut, ...before, ...o.notes });
  }
  return net;
}
