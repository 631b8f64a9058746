// Trains a rules judge's counting head (model.ts: `counter`) on the generator's own finals, with
// the rest of the judge frozen: every other tensor, hence every answer and every figure measured
// with them, stays as it was; only the reflection's counts change. The targets are the
// detector's count of every class in each final (observeScene), the reading a counting reason
// needs. Resumable (../train/harness.ts); the held-out prompts' finals are scored at the end.
import { join } from "node:path";
import { decodeTokens } from "../generator/pipeline.js";
import { observe, observeScene } from "../geneval/observe.js";
import type { PromptMeta } from "../geneval/types.js";
import { SHAPE_CLASSES } from "../shapes/world.js";
import type { VQAutoencoder } from "../tokenizer/vq.js";
import { AdamW, F, type Tensor, cat, dispose, manualSeed, noGrad, tensor, tidy } from "../torch/index.js";
import { copyMatchingWeights, readWeightsConfig, saveWeights } from "../train/checkpoint.js";
import { type HarnessResult, runSettings, runTraining } from "../train/harness.js";
import type { LogEntry } from "../train/log.js";
import { writeTrainingSummary } from "../train/summary.js";
import { type Rng, mulberry32, randInt } from "../util/prng.js";
import type { CollectedPrompt } from "./collect.js";
import { EmbeddedJudge, loadJudgeNet } from "./embedded.js";
import { type FailingFinal, reasonAgreement, shares } from "./reasons.js";
import { QUESTION_ID } from "./examples.js";
import { JudgeNet, type JudgeNetConfig } from "./model.js";
import { pairwiseAccuracy } from "./ranking.js";
import { judgeInput } from "./train.js";

export interface TrainCounterOptions {
  /** the judge it adds the head to (a rules judge): its other weights are copied and frozen */
  init: string;
  hidden: number;
  /** what the head reads (model.ts: counter.from) */
  from: "tokens" | "tower";
  train: readonly CollectedPrompt[];
  heldOut: readonly CollectedPrompt[];
  runDir: string;
  out: string;
  results?: string;
  steps: number;
  batch: number;
  lr: number;
  seed: number;
  stopAt?: number;
  onLog?: (e: LogEntry) => void;
}

interface Final {
  meta: PromptMeta;
  tokens: number[];
  /** the detector's count of every class (SHAPE_CLASSES order) */
  counts: number[];
}

const finalsOf = (data: readonly CollectedPrompt[]): Final[] =>
  data.flatMap(({ meta, paths }) => paths.map((p) => ({ meta, tokens: p.predictions.at(-1)!, counts: observeScene(SHAPE_CLASSES, meta.tag, p.detections).counts })));

/** The frozen body's patch tokens of every final, computed once (the head is all that trains): (N, P, D) float32. */
function patchTokensOf(net: JudgeNet, vq: VQAutoencoder, finals: readonly Final[]): Tensor {
  const parts: Tensor[] = [];
  for (let i = 0; i < finals.length; i += 256) {
    const part = finals.slice(i, i + 256);
    const images = decodeTokens(vq, part.map((f) => Int32Array.from(f.tokens)));
    parts.push(noGrad(() => tidy(() => net.patchTokens(judgeInput(net, images, part.map((f) => ({ prompt: f.meta.prompt, question: QUESTION_ID.outcome })))))));
  }
  const all = cat(parts);
  dispose(parts);
  return all;
}

/**
 * Held out: how often the counting head's reading of the prompt's named objects, and the class
 * tokens' (the judge it started from), are the detector's, on every final and on the failing ones
 * (where a reason is given); and the reasons themselves against the detector's (bench reasons).
 */
export async function scoreCounter(net: JudgeNet, before: JudgeNet, vq: VQAutoencoder, heldOut: readonly CollectedPrompt[]) {
  const judges = { counter: new EmbeddedJudge("counter", net, false), class_tokens: new EmbeddedJudge("class tokens", before, false) };
  // the same head answering the outcome too: its counts in the rules answer instead of the class tokens'
  const answering = new JudgeNet({ ...net.config, counter: { ...net.config.counter!, answers: true } });
  answering.loadStateDict(net.stateDict());
  try {
    return await scoreWith(judges, new EmbeddedJudge("counter answering", answering.eval(), false), vq, heldOut);
  } finally {
    answering.dispose();
  }
}

/** scoreCounter's figures, with the judges it compares. */
async function scoreWith(judges: { counter: EmbeddedJudge; class_tokens: EmbeddedJudge }, answer: EmbeddedJudge, vq: VQAutoencoder, heldOut: readonly CollectedPrompt[]) {
  const rows: { tag: string; correct: boolean; detector: string; counter: string; class_tokens: string }[] = [];
  const outcomes: { tag: string; group: number; correct: boolean; class_tokens: number; counter: number }[] = [];
  const failing: FailingFinal[] = [];
  for (const [g, { meta, paths }] of heldOut.entries()) {
    const images = decodeTokens(vq, paths.map((p) => Int32Array.from(p.predictions.at(-1)!)));
    const items = images.map((image) => ({ meta, image }));
    const [counter, tokens] = [judges.counter.read(items), judges.class_tokens.read(items)];
    const ask = images.map((image) => ({ question: "outcome" as const, prompt: meta.prompt, image }));
    const [was, now] = [await judges.class_tokens.judge(ask), await answer.judge(ask)];
    paths.forEach((p, i) => {
      rows.push({ tag: meta.tag, correct: p.correct, detector: observe(meta, p.detections).counts.join(), counter: counter[i].counts.join(), class_tokens: tokens[i].counts.join() });
      outcomes.push({ tag: meta.tag, group: g, correct: p.correct, class_tokens: was[i].pYes, counter: now[i].pYes });
      if (!p.correct) failing.push({ meta, image: images[i], detections: p.detections });
    });
  }
  // held-out outcome ranking (a prompt's right final above its wrong one) with each answer's counts, overall and per tag
  const ranking = (k: "class_tokens" | "counter") => {
    const of = (sel: typeof outcomes) => pairwiseAccuracy(sel.map((o) => o[k]), sel.map((o) => o.group), sel.map((o) => o.correct));
    const tags = [...new Set(outcomes.map((o) => o.tag))].sort();
    return { ...of(outcomes), by_tag: Object.fromEntries(tags.map((t) => [t, of(outcomes.filter((o) => o.tag === t))])) };
  };
  const agreement = (sel: typeof rows) => ({
    finals: sel.length,
    counter: shares(sel.map((r) => ({ tag: r.tag, ok: r.counter === r.detector }))),
    class_tokens: shares(sel.map((r) => ({ tag: r.tag, ok: r.class_tokens === r.detector }))),
  });
  const { examples: _, ...reasons } = await reasonAgreement(judges.counter, failing);
  return { count_readings: { finals: agreement(rows), failing_finals: agreement(rows.filter((r) => !r.correct)) }, reasons, outcome_ranking: { class_tokens: ranking("class_tokens"), counter: ranking("counter") } };
}

export async function trainCounter(o: TrainCounterOptions, vq: VQAutoencoder): Promise<JudgeNet> {
  const { config: base, tensors } = readWeightsConfig<JudgeNetConfig>(o.init);
  dispose([...tensors.values()]);
  if (base.answer !== "rules") throw new Error(`${o.init} is not a rules judge: a counting head reads its classes`);
  manualSeed(o.seed);
  const config: JudgeNetConfig = { ...base, counter: { hidden: o.hidden, from: o.from } };
  const net = new JudgeNet(config);
  const left = copyMatchingWeights(net, o.init);
  if (left.some((n) => !n.startsWith("counter_"))) throw new Error(`${o.init} lacks ${left.filter((n) => !n.startsWith("counter_")).join(", ")}`);
  net.eval(); // the frozen body without dropout; the head has none
  const finals = finalsOf(o.train);
  // made at the first step, so that rerunning a finished run only scores it
  const cache: { tokens?: Tensor } = {};
  const head = net.namedParameters().filter(([n]) => n.startsWith("counter_"));
  const opt = new AdamW(head, { lr: o.lr, betas: [0.9, 0.98], weightDecay: 0.01 });
  const K = SHAPE_CLASSES.length;
  let run: HarnessResult;
  try {
    run = runTraining({
      ...runSettings({ ...o, checkpointEvery: 200 }),
      model: net,
      optimizer: opt,
      schedule: { lr: o.lr, minLr: o.lr / 20, warmupSteps: Math.min(100, o.steps / 10), totalSteps: o.steps },
      logEvery: 50,
      data: (step) => {
        const rng: Rng = mulberry32(o.seed * 1_000_003 + step);
        return Array.from({ length: o.batch }, () => randInt(rng, finals.length));
      },
      loss: (rows) => {
        cache.tokens ??= patchTokensOf(net, vq, finals).keep(); // beyond the step's scope
        const logits = net.countLogits(cache.tokens.indexSelect(0, tensor(rows, [rows.length], "int64"))).reshape([rows.length * K, -1]);
        const target = rows.flatMap((i) => finals[i].counts);
        const read = logits.argmax(1).toArray();
        return { loss: F.crossEntropy(logits, tensor(target, [target.length], "int64")), metrics: { accuracy: read.filter((c, i) => c === target[i]).length / target.length } };
      },
      state: { init: o.init, hidden: o.hidden, from: o.from },
      curve: { metrics: ["loss", "accuracy"], title: "judge's counting head" },
    });
  } finally {
    cache.tokens?.dispose();
  }
  if (!run.finished) return net;
  // the judge it started from, read before the weights are written (the command refuses --out equal to --init all the same)
  const before = o.results ? loadJudgeNet(o.init).net : null;
  saveWeights(o.out, net, config, { kind: "fine-tuned", init: o.init, counter_steps: String(o.steps), seed: String(o.seed) });
  if (before) {
    try {
      writeTrainingSummary(o.results!, join(o.runDir, "log.jsonl"), net, config, {
        init: o.init,
        hidden: o.hidden,
        from: o.from,
        steps: o.steps,
        batch: o.batch,
        lr: o.lr,
        seed: o.seed,
        train_finals: finals.length,
        held_out: await scoreCounter(net, before, vq, o.heldOut),
      });
    } finally {
      before.dispose();
    }
  }
  return net;
}
