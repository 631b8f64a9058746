// `imagecot train judge` and `judge-counter`: the data and settings of the two embedded judges.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { readRanked, readRankMeta } from "../align/rank.js";
import { DEFAULT_SAMPLE } from "../generator/sampler.js";
import type { RGBImage } from "../shapes/image.js";
import { type CollectedPrompt, readCollected, splitCollected } from "../judges/collect.js";
import { DEFAULT_MIX, type Example, cleanExamples, hasRollouts, heldOutPathExamples, mixedPrompts, pathExample, rankingGroup } from "../judges/examples.js";
import { DEFAULT_JUDGE_NET, type JudgeNetConfig } from "../judges/model.js";
import { trainJudge } from "../judges/train.js";
import { trainCounter } from "../judges/train-counter.js";
import { loadVQ } from "../models/load.js";
import { VOCAB } from "../tokenizer/text.js";
import { readWeightsConfig } from "../train/checkpoint.js";
import { dispose } from "../torch/index.js";
import { SHAPE_CLASSES } from "../shapes/world.js";
import type { VQAutoencoder } from "../tokenizer/vq.js";
import type { LogEntry } from "../train/log.js";
import { type Rng, mulberry32 } from "../util/prng.js";
import { fromRoot } from "../util/root.js";
import { UserError } from "./run.js";

export interface TrainJudgeCliOptions {
  kind: "zero-shot" | "fine-tuned";
  data?: string[];
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
  channels?: string;
  dModel?: number;
  layers?: number;
  answer?: "head" | "rules";
  roundTrip: number;
  group: number;
  validateEvery?: number;
  readingWeight?: number;
}

/**
 * The collected paths a fine-tuned judge learns from and is scored on, split into training and
 * held-out prompts, with the training prompts that have both a right and a wrong path (the
 * ranking loss's); refused (a one-line error) where they lack what its labels need.
 */
export function readJudgePaths(dirs: readonly string[]): { train: CollectedPrompt[]; held: CollectedPrompt[]; mixed: CollectedPrompt[]; T: number } {
  const all = readCollected(dirs);
  const data = dirs.join(",");
  if (all.length === 0) throw new UserError(`no collected paths in ${data}`);
  if (all.some((p) => p.paths.some((q) => q.clearFrom === undefined))) throw new UserError(`${data} holds paths without per-path clarity labels (collected before them): collect them again with 'imagecot data paths'`);
  const { train, heldOut: held } = splitCollected(all);
  const mixed = mixedPrompts(train);
  if (mixed.length === 0) throw new UserError("no training prompt has both a right and a wrong path: nothing to rank");
  if (!hasRollouts(train) || !hasRollouts(held)) throw new UserError(`${data}: no path of the ${hasRollouts(train) ? "held-out" : "training"} prompts has Math-Shepherd rollouts (the process labels): collect with a larger --rollout-share`);
  const T = DEFAULT_SAMPLE.steps;
  if (all.some((p) => p.paths.some((q) => q.predictions.length !== T))) throw new UserError(`${data} holds paths of other than ${T} steps`);
  return { train, held, mixed, T };
}

/**
 * Zero-shot examples: clean renders, a share of them passed through the tokenizer (still no
 * generator output: what a perfect generator would draw, with the tokenizer's blur).
 */
function zeroShotExamples(seed: number, step: number, batch: number, size: number, vq: VQAutoencoder | null, share: number): Example[] {
  const examples = cleanExamples(seed, step, batch, size);
  if (!vq || share <= 0) return examples;
  const rng = mulberry32((seed * 31 + step) >>> 0);
  const through = examples.flatMap((_, i) => (rng() < share ? [i] : []));
  const images = vq.reconstruct(through.map((i) => examples[i].image as RGBImage));
  through.forEach((i, k) => (examples[i] = { ...examples[i], image: images[k] }));
  return examples;
}

/**
 * A fine-tuning batch: half groups of one prompt's paths (outcome and potential in turn, for the
 * ranking term), half single examples of the four questions.
 */
function fineTuneBatch(train: Parameters<typeof pathExample>[0], mixed: Parameters<typeof rankingGroup>[0], rng: Rng, batch: number, group: number, T: number): Example[] {
  const out: Example[] = [];
  const half = Math.floor(batch / 2);
  // whole groups of at least 2 (a pair): a remainder of 1 goes to the single examples
  for (let g = 0; half - out.length >= 2; g++) out.push(...rankingGroup(mixed, rng, g % 2 === 0 ? "outcome" : "potential", Math.min(group, half - out.length), T, g));
  while (out.length < batch) out.push(pathExample(train, rng, { steps: T, mix: DEFAULT_MIX }));
  return out;
}

/** The starting weights' architecture; an option that asks for another one is refused. */
function initConfig(init: string, o: TrainJudgeCliOptions): JudgeNetConfig {
  const { config, tensors } = readWeightsConfig<JudgeNetConfig>(init);
  dispose([...tensors.values()]);
  const differs = [
    o.channels !== undefined && o.channels !== config.channels.join(",") ? "--channels" : null,
    o.dModel !== undefined && o.dModel !== config.dModel ? "--d-model" : null,
    o.layers !== undefined && o.layers !== config.layers ? "--layers" : null,
    o.answer !== undefined && o.answer !== (config.answer ?? "head") ? "--answer" : null,
  ].filter((x) => x !== null);
  if (differs.length > 0) throw new UserError(`${differs.join(", ")} differ from the architecture of --init ${init}: leave them out when fine-tuning`);
  return config;
}

export function trainJudgeCommand(o: TrainJudgeCliOptions, onLog: (e: LogEntry) => void): void {
  const runDir = o.runDir ?? `runs/judge-${o.kind}`;
  const out = o.out ?? fromRoot("models", `judge-${o.kind}.safetensors`);
  const results = o.results ?? `results/train-judge-${o.kind}.json`;
  const channels = o.channels ? o.channels.split(",").map(Number) : DEFAULT_JUDGE_NET.channels;
  if (channels.some((c) => !Number.isInteger(c) || c < 8 || c % 8 !== 0)) throw new UserError(`--channels must be widths divisible by 8 (GroupNorm's groups), got ${o.channels}`);
  if (o.readingWeight !== undefined && o.readingWeight < 0) throw new UserError(`--reading-weight must be 0 or more, got ${o.readingWeight}`);
  if (o.group < 2) throw new UserError("--group must be at least 2 (a ranking needs a pair)");
  if (o.batch < 4) throw new UserError("--batch must be at least 4 (half of it groups of at least 2)");
  if (o.validateEvery !== undefined && (o.validateEvery < 50 || o.validateEvery % 50 !== 0)) throw new UserError("--validate-every must be a multiple of the log interval, 50");
  const asked: JudgeNetConfig = { ...DEFAULT_JUDGE_NET, channels, dModel: o.dModel ?? DEFAULT_JUDGE_NET.dModel, layers: o.layers ?? DEFAULT_JUDGE_NET.layers, answer: o.answer ?? "head", ...(o.answer === "rules" ? { classes: [...SHAPE_CLASSES] } : {}), textVocab: VOCAB.length, maxText: 16 };
  // fine-tuning keeps the architecture of the weights it starts from
  const config = o.init ? initConfig(o.init, o) : asked;
  const common = { kind: o.kind, runDir, out, results, steps: o.steps, batch: o.batch, lr: o.lr, seed: o.seed, stopAt: o.stopAt, init: o.init, config, checkpointEvery: 200, logEvery: 50, validateEvery: o.validateEvery, readingWeight: o.readingWeight, onLog };
  if (o.kind === "zero-shot") {
    const vq = o.roundTrip > 0 ? loadVQ(o.tokenizer) : null;
    // held out: clean renders of another seed (the gate is on clean renders)
    const heldOut = Array.from({ length: 32 }, (_, s) => cleanExamples(o.seed + 7777, s, 64, config.imageSize)).flat();
    trainJudge(
      { ...common, examples: (step) => zeroShotExamples(o.seed, step, o.batch, config.imageSize, vq, o.roundTrip), heldOut, notes: { round_trip_share: o.roundTrip } },
      null,
    );
    return;
  }
  if (!o.data) throw new UserError("--kind fine-tuned needs --data (folders written by 'imagecot data paths')");
  const { train, held, mixed, T } = readJudgePaths(o.data);
  const vq = loadVQ(o.tokenizer);
  const heldOut = heldOutPathExamples(held, o.seed, T);
  trainJudge(
    {
      ...common,
      config: { ...config, imageSize: vq.config.imageSize }, // it judges the tokenizer's images
      examples: (step) => fineTuneBatch(train, mixed, mulberry32(o.seed * 1_000_003 + step), o.batch, o.group, T),
      heldOut,
      notes: {
        clarity: "per path: steps from the first one whose prediction the detector reads as it reads the path's final",
        train_prompts: train.length,
        train_paths: train.reduce((n, p) => n + p.paths.length, 0),
        mixed_train_prompts: mixed.length,
        held_out_prompts: held.length,
        mixed_held_out_prompts: mixedPrompts(held).length,
        ranking_group: o.group,
        mix: DEFAULT_MIX,
      },
    },
    vq,
  );
}

export interface TrainCounterCliOptions {
  data: string[];
  init: string;
  tokenizer: string;
  hidden: number;
  from: "tokens" | "tower" | "pixels";
  channels?: number[];
  rendered?: number;
  samples?: string[];
  answers?: boolean;
  runDir: string;
  out: string;
  results: string;
  steps: number;
  batch: number;
  lr: number;
  seed: number;
  stopAt?: number;
}

/** `imagecot train judge-counter`: a rules judge's counting head on the collected paths' finals, the rest frozen. */
export async function trainCounterCommand(o: TrainCounterCliOptions, onLog: (e: LogEntry) => void): Promise<void> {
  if (!existsSync(o.init)) throw new UserError(`no judge weights at ${o.init}`);
  const { config, tensors } = readWeightsConfig<JudgeNetConfig>(o.init);
  dispose([...tensors.values()]);
  if (config.answer !== "rules") throw new UserError(`${o.init} is not a rules judge (--answer rules): a counting head reads its class tokens' classes`);
  if (config.counter) throw new UserError(`${o.init} has a counting head already: start from the judge without one`);
  if (resolve(o.out) === resolve(o.init)) throw new UserError(`--out is --init (${o.init}): write the judge with its counting head elsewhere, and keep the one it starts from`);
  for (const [flag, v] of [["--hidden", o.hidden], ["--steps", o.steps], ["--batch", o.batch]] as const) if (v < 1) throw new UserError(`${flag} must be at least 1, got ${v}`);
  if (o.channels && o.from !== "pixels") throw new UserError(`--channels is the widths of the head's own tower: it needs --from pixels`);
  if (o.channels && (o.channels.length !== config.channels.length || o.channels.some((w) => w % 8 !== 0)))
    throw new UserError(`--channels must be ${config.channels.length} widths (the judge's stages), each a multiple of 8, got ${o.channels.join(",")}`);
  const all = readCollected(o.data);
  const data = o.data.join(",");
  if (all.length === 0) throw new UserError(`no collected paths in ${data}`);
  const { train, heldOut } = splitCollected(all);
  // the summary scores the reasons on the held-out tenth's failing finals
  if (!heldOut.some((p) => p.paths.some((q) => !q.correct))) throw new UserError(`${data}: no held-out prompt (one in ten) has a failing final to score the reasons on`);
  const samples = (o.samples ?? []).flatMap((dir) => {
    if (!readRankMeta(dir)) throw new UserError(`${dir} is not a ranking data folder (no meta.json): 'imagecot data rank' writes one`);
    return readRanked(dir).flatMap((r) => r.samples.map((x) => ({ meta: r.meta, tokens: x.tokens })));
  });
  await trainCounter({ ...o, train, heldOut, samples, checkpointEvery: 200, onLog }, loadVQ(o.tokenizer));
}
