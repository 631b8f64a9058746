// DPO runs of one or more rounds (METHOD.md section 3). Round 1 trains the starting generator
// on ranking data (given, or ranked here); round r > 1 samples the same training prompts
// afresh with round r-1's weights, relabels them, drops the prompts whose samples all share a
// label (they give no pair), and trains round r-1's weights one more round.
//
// The reference of round r is round r-1's model (the starting generator in round 1): the model
// that sampled the round's data. DPO's KL anchor then sits where the round's preferences were
// observed, as in iterative/online DPO (Xu et al. 2023, Yuan et al. 2024), and each round can
// move a further beta-bounded step; anchoring every round to the original model would pull the
// later rounds back towards the model the aligned one has already left.
//
// Every round ranked here is tag-balanced as `data rank --pairs` balances (rankDataBalanced): with
// round 1's data given, as its balance.json records, so that every round ranks as round 1 did.
//
// Everything resumes: ranking skips finished prompts and plans the same balancing stages again,
// training resumes from its checkpoint, a round whose weights exist is done. The same command
// rerun after a kill continues.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { InputError } from "../util/errors.js";
import { writeResult } from "../util/provenance.js";
import type { SampleOptions } from "../generator/sampler.js";
import type { Pipeline } from "../generator/pipeline.js";
import type { Judge } from "../judges/judge.js";
import { disposePipeline, loadGenerator, loadPipeline } from "../models/load.js";
import { trimHeap } from "../torch/index.js";
import { readTrainLog } from "../train/log.js";
import { writeFileAtomic } from "../util/atomic.js";
import { fileHash } from "../util/file-hash.js";
import { type TrainDpoOptions, dpoSteps, trainDpo } from "./dpo.js";
import { type Pair, type PairStats } from "./pairs.js";
import { type Labeller, type PairsKind, type RankPlanOptions, type RankResult, readDataPairs, readRankMeta } from "./rank.js";
import type { RenderPairStats } from "./self-play.js";
import { type BalanceReport, type TagBalance, readBalance, rankDataBalanced } from "./balance.js";

export interface RankSettings {
  prompts: number;
  samplesPerPrompt: number;
  seed: number;
  sample: SampleOptions;
  pairsPerPrompt: number;
  tau: number;
}

export interface DpoRunOptions {
  runDir: string; // round-r/{data,train,generator.safetensors}
  out: string; // the last round's weights, copied here
  results?: string; // summary of every round, with provenance
  rounds: number;
  /** round 1's data folder (from `imagecot data rank`); without it round 1 ranks into runDir */
  data?: string;
  generator: string; // starting weights
  tokenizer: string;
  /** ranking settings of the rounds ranked here (taken from `data`'s meta.json when given) */
  rank: RankSettings;
  /** tag balancing of the rounds ranked here (ignored with `data`: its balance.json's, if any) */
  balance?: TagBalance;
  train: Omit<TrainDpoOptions, "runDir" | "out" | "weighted" | "metadata" | "onLog" | "stopAt">;
  /** reward-guided DPO: the judge whose scores choose and weight the pairs */
  judge?: Judge;
  /** self-play DPO: every round's pairs are its "no" samples against ground-truth renders (self-play.ts) */
  selfPlay?: boolean;
  /** the yes/no labeller of ranked rounds (default: the detector) */
  label?: Labeller;
  /**
   * Samples a ranked round's prompts elsewhere first (the queue's workers), each stage's extra
   * prompts included; the round then finds their records on disk. `pipeline` is the sampler's.
   */
  rankElsewhere?: (pipeline: Pipeline, plan: RankPlanOptions) => Promise<void>;
  /** stop once this many DPO steps are done, the rounds' steps counted one after another (checkpointed); rerun to go on */
  stopAt?: number;
  command?: string;
  onLog?: TrainDpoOptions["onLog"];
  onProgress?: (round: number, done: number, total: number) => void;
  onStage?: (message: string) => void;
}

export interface RoundSummary {
  round: number;
  data: string;
  generator: string; // the weights that sampled the data, the policy's start and the reference
  /** content hashes of `generator` and `weights`: what joins a round with evaluations made under other paths */
  generator_hash: string | null;
  pairs: PairStats | RenderPairStats | null;
  /** the data folder's balance.json: pairs and share per tag; null when it was not balanced */
  balance: BalanceReport | null;
  training: { steps: number; wall_seconds: number; final: Record<string, number> | null };
  weights: string;
  weights_hash: string | null;
}

const roundDir = (o: DpoRunOptions, r: number) => join(o.runDir, `round-${r}`);
const roundWeights = (o: DpoRunOptions, r: number) => join(roundDir(o, r), "generator.safetensors");

/** The seed of round r's paths: fresh draws every round for the same prompts. */
export const roundSampleSeed = (seed: number, round: number) => seed + 7919 * (round - 1);

const kindOf = (o: Pick<DpoRunOptions, "judge" | "selfPlay">): PairsKind => (o.judge ? "guided" : o.selfPlay ? "render" : "plain");

function pairsOf(dir: string, judge: Judge | undefined, kind: PairsKind): Pair[] {
  const pairs = readDataPairs(dir, kind);
  if (judge && pairs.some((p) => p.judge !== judge.name))
    throw new Error(`${dir}: the guided pairs are scored by '${pairs.find((p) => p.judge !== judge.name)?.judge}', not '${judge.name}'; rerun 'imagecot data rank' with --judge ${judge.name}`);
  return pairs;
}

function statsOf(dir: string, kind: PairsKind): PairStats | RenderPairStats | null {
  const f = join(dir, "stats.json");
  if (!existsSync(f)) return null;
  const s = JSON.parse(readFileSync(f, "utf8")) as RankResult;
  return { plain: s.stats, guided: s.guided, render: s.render }[kind] ?? null;
}

/** The balance round 1's given data was ranked with (undefined: none), which the later rounds keep. */
function givenBalance(dir: string): TagBalance | undefined {
  const b = readBalance(dir);
  if (b && !b.settings)
    throw new InputError(`${dir}/balance.json does not record the balance it was ranked with: rerun its 'imagecot data rank' command (nothing is ranked again) to record it`);
  return b?.settings;
}

/** Runs (or resumes) every round; returns the rounds' summaries, or null when stopped at stopAt. */
export async function runDpo(o: DpoRunOptions): Promise<RoundSummary[] | null> {
  if (o.judge && o.selfPlay) throw new InputError("reward-guided and self-play DPO are two pair schemes: give one");
  const given = o.data ? readRankMeta(o.data) : null;
  if (o.data && !given) throw new InputError(`${o.data} is not a ranking data folder (no meta.json): make it with 'imagecot data rank'`);
  // later rounds rank as the given data was ranked
  const rank: RankSettings = given
    ? { ...o.rank, prompts: given.prompts, samplesPerPrompt: given.samplesPerPrompt, seed: given.seed, sample: given.sample, pairsPerPrompt: given.pairsPerPrompt }
    : o.rank;
  const balance = o.data ? givenBalance(o.data) : o.balance;
  const summaries: RoundSummary[] = [];
  let stepsBefore = 0; // DPO steps of the finished rounds
  for (let r = 1; r <= o.rounds; r++) {
    const start = r === 1 ? o.generator : roundWeights(o, r - 1);
    const data = r === 1 && o.data ? o.data : join(roundDir(o, r), "data");
    const trainDir = join(roundDir(o, r), "train");
    const weights = roundWeights(o, r);
    if (!existsSync(weights)) {
      if (o.stopAt !== undefined && o.stopAt <= stepsBefore) return null;
      // round 1 on given data: finish or score it with the generator that sampled it, if at hand
      const sampler = r === 1 && given ? given.generator : start;
      if (existsSync(sampler)) {
        const balancing = balance ? `, then more of the tags short of ${balance.minShare} of ${balance.pairs} pairs` : "";
        o.onStage?.(`round ${r}: ranking ${rank.prompts} prompts${balancing} x ${rank.samplesPerPrompt} samples with ${sampler} into ${data} (finished prompts are kept)`);
        const pipeline = loadPipeline(sampler, o.tokenizer);
        const plan = {
          out: data,
          prompts: rank.prompts,
          samplesPerPrompt: rank.samplesPerPrompt,
          seed: rank.seed,
          sampleSeed: r === 1 && given ? given.sampleSeed : roundSampleSeed(rank.seed, r),
          sample: rank.sample,
          pairsPerPrompt: rank.pairsPerPrompt,
          generator: sampler,
        };
        const elsewhere = o.rankElsewhere;
        try {
          await rankDataBalanced(pipeline, {
            ...plan,
            before: elsewhere ? (extra) => elsewhere(pipeline, { ...plan, extra }) : undefined,
            judge: o.judge,
            renderPairs: o.selfPlay,
            tau: rank.tau,
            label: o.label,
            balance,
            onProgress: (d, t) => o.onProgress?.(r, d, t),
            onStage: (m) => o.onStage?.(`round ${r}: ${m}`),
          });
        } finally {
          disposePipeline(pipeline);
          trimHeap(); // ranking's freed buffers go back before training allocates its own
        }
      } else if (!(r === 1 && given)) throw new Error(`no generator weights at ${sampler}`);
      const pairs = pairsOf(data, o.judge, kindOf(o));
      o.onStage?.(`round ${r}: DPO on ${pairs.length} pairs for ${dpoSteps(pairs.length, o.train)} steps from ${start} (reference: the same weights, frozen)`);
      const policy = loadGenerator(start);
      const reference = loadGenerator(start);
      try {
        const res = trainDpo(
          {
            ...o.train,
            runDir: trainDir,
            out: weights,
            weighted: o.judge !== undefined,
            stopAt: o.stopAt === undefined ? undefined : o.stopAt - stepsBefore,
            onLog: o.onLog,
            metadata: { command: o.command ?? "", round: String(r), reference: resolve(start), data: resolve(data), pairs_kind: kindOf(o), judge: o.judge?.name ?? "" },
          },
          policy,
          reference,
          pairs,
        );
        if (!res.finished) return null;
      } finally {
        policy.dispose();
        reference.dispose();
      }
    }
    const log = existsSync(join(trainDir, "log.jsonl")) ? readTrainLog(join(trainDir, "log.jsonl")) : [];
    let wall = 0;
    log.forEach((e, i) => (wall += e.sec_per_step * (e.step - (i > 0 ? log[i - 1].step : 0))));
    stepsBefore += log[log.length - 1]?.step ?? 0;
    summaries.push({
      round: r,
      data,
      generator: start,
      generator_hash: fileHash(start),
      pairs: statsOf(data, kindOf(o)),
      balance: readBalance(data),
      training: { steps: log[log.length - 1]?.step ?? 0, wall_seconds: Math.round(wall), final: log[log.length - 1] ?? null },
      weights,
      weights_hash: fileHash(weights),
    });
  }
  writeFileAtomic(o.out, readFileSync(roundWeights(o, o.rounds)));
  if (o.results)
    writeResult(
      o.results,
      {
        dpo: {
          method: o.judge ? "reward-guided dpo" : `${o.selfPlay ? "self-play " : ""}${o.rounds > 1 ? "iterative dpo" : "dpo"}`,
          rounds: summaries,
          out: o.out,
          reward_guidance: o.judge
            ? { judge: o.judge.name, tau: rank.tau, scheme: "pairs chosen by the largest judge margin, each pair's loss weighted by sigmoid((s_c - s_r)/tau) normalised to mean 1 (src/align/pairs.ts)" }
            : null,
          settings: { ...o.train, rank, balance: balance ?? null },
        },
      },
      o.command,
    );
  return summaries;
}
