// Trains a rules judge's counting head (model.ts: `counter`) on the generator's own finals (and,
// optionally, a ranking's samples and rendered scenes), with the rest of the judge frozen: every
// other tensor stays as it was, hence every answer too unless the saved judge's rules answer
// reads the head (`answers`); the reflection's counts are the head's. The targets are the
// detector's count of every class in each final (observeScene), the reading a counting reason
// needs. Resumable (../train/harness.ts); the held-out prompts' finals are scored at the end.
import { join } from "node:path";
import { decodeTokens } from "../generator/pipeline.js";
import { observe, observeScene } from "../geneval/observe.js";
import { detect } from "../shapes/detector.js";
import type { PromptMeta } from "../geneval/types.js";
import type { RGBImage } from "../shapes/image.js";
import { SHAPE_CLASSES } from "../shapes/world.js";
import { imagesToTensor } from "../tokenizer/pixels.js";
import type { VQAutoencoder } from "../tokenizer/vq.js";
import { AdamW, F, type Tensor, cat, dispose, manualSeed, noGrad, tensor, tidy } from "../torch/index.js";
import { saveWeights } from "../train/checkpoint.js";
import { type HarnessResult, type RunSettings, runSettings, runTraining } from "../train/harness.js";
import { writeTrainingSummary } from "../train/summary.js";
import { byTag } from "../util/by-tag.js";
import { type Rng, mulberry32, randInt } from "../util/prng.js";
import type { CollectedPrompt } from "./collect.js";
import { EmbeddedJudge, loadJudgeNet } from "./embedded.js";
import { type FailingFinal, reasonAgreement, shares } from "./reasons.js";
import { cleanExamples, QUESTION_ID } from "./examples.js";
import { JudgeNet, type JudgeNetConfig } from "./model.js";
import { pairwiseAccuracy } from "./ranking.js";
import { examplePixels, judgeInput } from "./train.js";

export interface TrainCounterOptions extends RunSettings {
  /** the judge it adds the head to (a rules judge): its other weights are copied and frozen */
  init: string;
  hidden: number;
  /** what the head reads (model.ts: counter.from) */
  from: "tokens" | "tower" | "pixels";
  /** the widths of its own tower's stages (from "pixels"; absent: the judge's) */
  channels?: number[];
  train: readonly CollectedPrompt[];
  heldOut: readonly CollectedPrompt[];
  /** this many rendered scenes of training prompts (not the held-out ones) beside the finals, through the tokenizer, counted exactly */
  rendered?: number;
  /** the saved judge's rules answer reads the head's counts too (its answers change; the summary scores both ways) */
  answers?: boolean;
  /** more of the generator's samples (a ranking's), final tokens only: those of training prompts join the finals, counted by the detector */
  samples?: readonly { meta: PromptMeta; tokens: number[] }[];
  out: string;
  results?: string;
  batch: number;
  lr: number;
}

/** A training image: a final's tokens, or pixels already decoded (a ranking's sample) or through the tokenizer (a render). */
interface Final {
  meta: PromptMeta;
  image: number[] | RGBImage;
  /** every class's count (SHAPE_CLASSES order): the detector's of a final, the scene's own of a render */
  counts: number[];
}

const finalsOf = (data: readonly CollectedPrompt[]): Final[] =>
  data.flatMap(({ meta, paths }) => paths.map((p) => ({ meta, image: p.predictions.at(-1)!, counts: observeScene(SHAPE_CLASSES, meta.tag, p.detections).counts })));

/**
 * `n` rendered scenes of training prompts (cleanExamples: each prompt's scene, a near miss of
 * it, or another prompt's scene), none of a held-out prompt, through the tokenizer so that they
 * look decoded; their counts are the scenes' own. More, and more varied, scenes than the
 * generator's finals hold.
 */
export function renderedOf(n: number, seed: number, size: number, heldOut: readonly CollectedPrompt[], vq: VQAutoencoder): Final[] {
  const held = new Set(heldOut.map((p) => p.meta.prompt));
  const out: Final[] = [];
  for (let step = 0; out.length < n; step++) {
    const part = cleanExamples(seed, step, Math.min(256, n - out.length), size).filter((e) => !held.has(e.meta.prompt));
    const images = vq.reconstruct(part.map((e) => e.image as RGBImage));
    part.forEach((e, i) => out.push({ meta: e.meta, image: images[i], counts: e.scene!.counts }));
  }
  return out;
}

/** The samples, as finals: decoded once (the detector reads them, and the head's inputs are made from them), counted as the collected finals are. */
function sampledOf(samples: readonly { meta: PromptMeta; tokens: number[] }[], vq: VQAutoencoder): Final[] {
  const out: Final[] = [];
  for (let i = 0; i < samples.length; i += 256) {
    const part = samples.slice(i, i + 256);
    decodeTokens(vq, part.map((x) => Int32Array.from(x.tokens))).forEach((image, k) =>
      out.push({ meta: part[k].meta, image, counts: observeScene(SHAPE_CLASSES, part[k].meta.tag, detect(image)).counts }),
    );
  }
  return out;
}

/**
 * What the head trains on, for every final, computed once: the frozen body's patch tokens (N, P, D)
 * float32, or, for a head with its own tower (which trains), the images (N, 3, S, S).
 */
function inputsOf(net: JudgeNet, vq: VQAutoencoder, finals: readonly Final[]): Tensor {
  const parts: Tensor[] = [];
  for (let i = 0; i < finals.length; i += 256) {
    const part = finals.slice(i, i + 256);
    const images = examplePixels(part, vq);
    parts.push(
      net.counterStages
        ? imagesToTensor(images)
        : noGrad(() => tidy(() => net.patchTokens(judgeInput(net, images, part.map((f) => ({ prompt: f.meta.prompt, question: QUESTION_ID.outcome })))))),
    );
  }
  const all = cat(parts);
  dispose(parts);
  return all;
}

type Reader = "counter" | "class_tokens";
interface ReadFinal {
  tag: string;
  group: number;
  correct: boolean;
  /** the named objects' counts, comma-joined: the detector's, the head's and the class tokens' */
  detector: string;
  counter: string;
  class_tokens: string;
  pYes: Record<Reader, number>;
}

/** Every final of `prompts` read by both judges (the answering one reads as the counter does), and the failing ones. */
function readFinals(judges: Record<"class_tokens" | "answering", EmbeddedJudge>, vq: VQAutoencoder, prompts: readonly CollectedPrompt[]) {
  const rows: ReadFinal[] = [];
  const failing: FailingFinal[] = [];
  for (const [group, { meta, paths }] of prompts.entries()) {
    const images = decodeTokens(vq, paths.map((p) => Int32Array.from(p.predictions.at(-1)!)));
    const items = images.map((image) => ({ meta, image }));
    const [was, now] = [judges.class_tokens.answerAndRead(items), judges.answering.answerAndRead(items)];
    paths.forEach((p, i) => {
      rows.push({ tag: meta.tag, group, correct: p.correct, detector: observe(meta, p.detections).counts.join(), counter: now[i].reading.counts.join(), class_tokens: was[i].reading.counts.join(), pYes: { counter: now[i].pYes, class_tokens: was[i].pYes } });
      if (!p.correct) failing.push({ meta, image: images[i], detections: p.detections });
    });
  }
  return { rows, failing };
}

const agreement = (sel: readonly ReadFinal[]) => ({
  finals: sel.length,
  counter: shares(sel.map((r) => ({ tag: r.tag, ok: r.counter === r.detector }))),
  class_tokens: shares(sel.map((r) => ({ tag: r.tag, ok: r.class_tokens === r.detector }))),
});

/** On counting's finals, how often each (detector's count -> reader's count) occurs, most often first: where a reader goes wrong. */
export function countingConfusion(rows: readonly Pick<ReadFinal, "tag" | "detector" | Reader>[], reader: Reader): Record<string, number> {
  const n = new Map<string, number>();
  for (const r of rows) if (r.tag === "counting") n.set(`${r.detector}->${r[reader]}`, (n.get(`${r.detector}->${r[reader]}`) ?? 0) + 1);
  return Object.fromEntries([...n].sort((a, b) => b[1] - a[1]));
}

/**
 * Held out: how often the counting head's reading of the prompt's named objects, and the class
 * tokens' (the judge it started from), are the detector's, on every final and on the failing ones
 * (where a reason is given), and on counting's finals which counts each reads instead; the reasons
 * themselves against the detector's (bench reasons), as the head gives them beside the judge's
 * answer and were its counts also the answer's; and the outcome ranking in both cases. With `fit`, training prompts: the same agreement on their finals,
 * which tells a head that does not fit from one that does not generalise.
 */
export async function scoreCounter(net: JudgeNet, before: JudgeNet, vq: VQAutoencoder, heldOut: readonly CollectedPrompt[], fit: readonly CollectedPrompt[] = []) {
  // the same head answering the outcome too: its counts in the rules answer instead of the class tokens'
  const answering = new JudgeNet({ ...net.config, counter: { ...net.config.counter!, answers: true } });
  answering.loadStateDict(net.stateDict());
  try {
    const judges = { class_tokens: new EmbeddedJudge("class tokens", before, false), answering: new EmbeddedJudge("counter answering", answering.eval(), false) };
    const { rows, failing } = readFinals(judges, vq, heldOut);
    // held-out outcome ranking (a prompt's right final above its wrong one) with each answer's counts, overall and per tag
    const ranking = (k: Reader) => {
      const of = (sel: readonly ReadFinal[]) => pairwiseAccuracy(sel.map((r) => r.pYes[k]), sel.map((r) => r.group), sel.map((r) => r.correct));
      return { ...of(rows), by_tag: byTag(rows, of) };
    };
    const { examples: _, ...reasons } = await reasonAgreement(new EmbeddedJudge("counter", net, false), failing);
    // and were the head's counts also the answer's: the failing finals it would then call wrong (said_no) change too
    const { examples: __, ...answered } = await reasonAgreement(judges.answering, failing);
    return {
      count_readings: {
        finals: agreement(rows),
        failing_finals: agreement(rows.filter((r) => !r.correct)),
        counting_confusion: { counter: countingConfusion(rows, "counter"), class_tokens: countingConfusion(rows, "class_tokens") },
      },
      ...(fit.length > 0 && { training_prompts: { prompts: fit.length, finals: agreement(readFinals(judges, vq, fit).rows) } }),
      reasons,
      reasons_answering: answered,
      outcome_ranking: { class_tokens: ranking("class_tokens"), counter: ranking("counter") },
    };
  } finally {
    answering.dispose();
  }
}

export async function trainCounter(o: TrainCounterOptions, vq: VQAutoencoder): Promise<JudgeNet> {
  // the judge it starts from: its weights are copied, and the summary scores it beside the head
  const before = loadJudgeNet(o.init).net;
  try {
    return await trainFrom(before, o, vq);
  } finally {
    before.dispose();
  }
}

/** Symmetry k (0-7) of the square on images (B, C, S, S): bit 4 transposes, then bit 1 mirrors left-right, bit 2 flips top-bottom. */
export function symmetry(x: Tensor, k: number): Tensor {
  let y = k & 4 ? x.transpose(2, 3) : x;
  if (k & 1) y = y.flip([3]);
  if (k & 2) y = y.flip([2]);
  return y.contiguous();
}

async function trainFrom(before: JudgeNet, o: TrainCounterOptions, vq: VQAutoencoder): Promise<JudgeNet> {
  manualSeed(o.seed);
  const config: JudgeNetConfig = { ...before.config, counter: { hidden: o.hidden, from: o.from, ...(o.channels && { channels: o.channels }) } };
  const net = new JudgeNet(config); // a judge without class tokens is refused here
  net.loadStateDict(before.stateDict(), false); // every tensor but the head's
  net.eval(); // the frozen body without dropout; the head has none
  const finals = finalsOf(o.train);
  const trainFinals = finals.length;
  const held = new Set(o.heldOut.map((p) => p.meta.prompt));
  const samples = (o.samples ?? []).filter((x) => !held.has(x.meta.prompt));
  const total = trainFinals + (o.rendered ?? 0) + samples.length; // the renders and samples join the finals at the first step
  // made at the first step, so that rerunning a finished run only scores it
  const cache: { inputs?: Tensor } = {};
  const head = net.namedParameters().filter(([n]) => n.startsWith("counter_"));
  const opt = new AdamW(head, { lr: o.lr, betas: [0.9, 0.98], weightDecay: 0.01 });
  const K = SHAPE_CLASSES.length;
  let run: HarnessResult;
  try {
    run = runTraining({
      ...runSettings(o),
      model: net,
      optimizer: opt,
      schedule: { lr: o.lr, minLr: o.lr / 20, warmupSteps: Math.min(100, o.steps / 10), totalSteps: o.steps },
      logEvery: 50,
      data: (step) => {
        const rng: Rng = mulberry32(o.seed * 1_000_003 + step);
        return Array.from({ length: o.batch }, () => randInt(rng, total));
      },
      loss: (rows, step) => {
        if (!cache.inputs) {
          if (o.rendered) finals.push(...renderedOf(o.rendered, o.seed, config.imageSize, o.heldOut, vq));
          finals.push(...sampledOf(samples, vq));
          cache.inputs = inputsOf(net, vq, finals).keep(); // beyond the step's scope
        }
        const x = cache.inputs.indexSelect(0, tensor(rows, [rows.length], "int64"));
        // a tower of its own sees each batch under one of the square's 8 symmetries (step % 8), which keep every count
        const logits = net.countLogits(net.counterStages ? net.counterPatches(symmetry(x, step % 8)) : x).reshape([rows.length * K, -1]);
        const target = rows.flatMap((i) => finals[i].counts);
        const read = logits.argmax(1).toArray();
        return { loss: F.crossEntropy(logits, tensor(target, [target.length], "int64")), metrics: { accuracy: read.filter((c, i) => c === target[i]).length / target.length } };
      },
      state: { init: o.init, hidden: o.hidden, from: o.from, channels: o.channels ?? null, rendered: o.rendered ?? 0, samples: samples.length },
      curve: { metrics: ["loss", "accuracy"], title: "judge's counting head" },
    });
  } finally {
    cache.inputs?.dispose();
  }
  if (!run.finished) return net;
  // the head trains the same either way (the answer is not trained): `answers` is the saved judge's
  const saved: JudgeNetConfig = o.answers ? { ...config, counter: { ...config.counter!, answers: true } } : config;
  saveWeights(o.out, net, saved, { kind: "fine-tuned", init: o.init, counter_steps: String(o.steps), seed: String(o.seed) });
  if (o.results) {
    writeTrainingSummary(o.results, join(o.runDir, "log.jsonl"), net, config, {
      init: o.init,
      hidden: o.hidden,
      from: o.from,
      channels: o.channels ?? null,
      steps: o.steps,
      batch: o.batch,
      lr: o.lr,
      seed: o.seed,
      train_finals: trainFinals,
      rendered: o.rendered ?? 0,
      samples: samples.length,
      answers: o.answers ?? false,
      // the fit on as many training prompts as there are held out, spread over the training set
      held_out: await scoreCounter(net, before, vq, o.heldOut, o.train.filter((_, i) => i % Math.max(1, Math.floor(o.train.length / o.heldOut.length)) === 0).slice(0, o.heldOut.length)),
    });
  }
  return net;
}
