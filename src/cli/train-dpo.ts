// `imagecot train dpo`: DPO, iterative DPO (--rounds) and reward-guided DPO (--reward-guided
// --judge NAME) of the generator (src/align/). Resumable: rerun the same command after a kill.
import { Command, Option } from "commander";
import { DPO_DEFAULTS } from "../align/dpo.js";
import { type RoundSummary, runDpo } from "../align/iterative.js";
import { DEFAULT_TAU } from "../align/pairs.js";
import { RANK_TEMPERATURE, RankSettingsError } from "../align/rank.js";
import { DEFAULT_SAMPLE } from "../generator/sampler.js";
import { DEFAULT_GENERATOR_WEIGHTS, DEFAULT_TOKENIZER } from "../models/paths.js";
import type { LogEntry } from "../train/log.js";
import { fromRoot } from "../util/root.js";
import { cliJudge } from "./judge.js";
import { cfgOption, intOption, nonNegativeOption, numberOption, positiveIntOption, seedOption, shareOption, temperatureOption } from "./options.js";
import { progressRuns } from "./progress.js";
import { pairsKindOf } from "./pairs-kind.js";
import { UserError } from "./run.js";
import { rankOnQueue } from "./data-rank.js";
import { queueOption } from "./queue.js";
import { type TagBalanceCliOptions, addTagBalanceOptions, tagBalanceOf } from "./tag-balance.js";

export interface TrainDpoCliOptions extends TagBalanceCliOptions {
  data?: string;
  runDir: string;
  out: string;
  results: string;
  generator: string;
  tokenizer: string;
  rounds: number;
  steps?: number;
  epochs: number;
  batch: number;
  lr: number;
  beta: number;
  nllWeight: number;
  cfg: number;
  uncondAnchor: number;
  masks: number;
  minMaskRatio: number;
  trajectory?: boolean;
  seed: number;
  rewardGuided?: boolean;
  selfPlay?: boolean;
  judge?: string;
  tau: number;
  prompts: number;
  samplesPerPrompt: number;
  pairsPerPrompt: number;
  temperature: number;
  stopAt?: number;
  queue?: string;
  quiet?: boolean;
  json?: boolean;
}

export async function trainDpoCommand(o: TrainDpoCliOptions, onLog: (e: LogEntry) => void): Promise<RoundSummary[] | null> {
  if (o.rounds < 1) throw new UserError("--rounds must be at least 1");
  if (o.rewardGuided && !o.judge) throw new UserError("--reward-guided needs --judge NAME (the judge whose scores choose and weight the pairs)");
  if (o.judge && !o.rewardGuided) throw new UserError("--judge is only used with --reward-guided");
  pairsKindOf(o);
  if (o.batch < 1) throw new UserError("--batch must be at least 1");
  const balance = tagBalanceOf(o);
  if (balance && o.data) throw new UserError("--pairs: with --data, later rounds are balanced as its balance.json records (as --data was ranked); leave --pairs out");
  const judge = o.rewardGuided ? cliJudge({ judge: o.judge! }) : undefined;
  const bars = progressRuns(!o.quiet && !o.json && !o.queue);
  try {
    return await runDpo({
      runDir: o.runDir,
      out: o.out,
      results: o.results,
      rounds: o.rounds,
      data: o.data,
      generator: o.generator,
      tokenizer: o.tokenizer,
      rank: {
        prompts: o.prompts,
        samplesPerPrompt: o.samplesPerPrompt,
        seed: o.seed,
        sample: { ...DEFAULT_SAMPLE, temperature: o.temperature },
        pairsPerPrompt: o.pairsPerPrompt,
        tau: o.tau,
      },
      balance,
      train: {
        steps: o.steps,
        epochs: o.epochs,
        batch: o.batch,
        lr: o.lr,
        beta: o.beta,
        nllWeight: o.nllWeight,
        cfg: o.cfg,
        uncondAnchor: o.uncondAnchor,
        masks: o.masks,
        minMaskRatio: o.minMaskRatio,
        trajectory: o.trajectory ?? false,
        seed: o.seed,
        weightDecay: DPO_DEFAULTS.weightDecay,
        warmup: DPO_DEFAULTS.warmup,
        checkpointEvery: DPO_DEFAULTS.checkpointEvery,
        logEvery: DPO_DEFAULTS.logEvery,
      },
      judge,
      selfPlay: o.selfPlay,
      rankElsewhere: o.queue ? rankOnQueue(o.queue, o.judge, !o.quiet && !o.json) : undefined,
      stopAt: o.stopAt,
      command: ["imagecot", ...process.argv.slice(2)].join(" "),
      onLog,
      onStage: (m) => {
        if (!o.quiet) process.stderr.write(m + "\n");
      },
      onProgress: (round, done, total) => bars.onProgress(`rank round ${round}`, done, total),
    });
  } catch (e) {
    if (e instanceof RankSettingsError) throw new UserError(e.message);
    throw e;
  } finally {
    bars.stop();
  }
}

/** Adds `dpo` to the `train` command group. */
export function registerTrainDpo(train: Command, onLog: (e: LogEntry) => void): void {
  const cmd = train
    .command("dpo")
    .description("align the generator with DPO: plain yes/no pairs, iterative (--rounds), reward-guided (--reward-guided --judge) or self-play (--self-play)")
    .option("--data <dir>", "round 1's ranking data from 'imagecot data rank' (default: rank here, into RUN-DIR/round-1/data); later rounds rank, and tag-balance, as it was ranked")
    .option("--run-dir <dir>", "rounds' data, checkpoints and logs", "runs/dpo")
    .option("--out <file>", "final weights (the last round's)", fromRoot("models", "generator-dpo.safetensors"))
    .option("--results <file>", "summary of every round, with provenance", "results/train-dpo.json")
    .option("--generator <file>", "starting weights (policy and reference of round 1)", DEFAULT_GENERATOR_WEIGHTS)
    .option("--tokenizer <file>", "VQ tokenizer weights", DEFAULT_TOKENIZER)
    .addOption(new Option("--rounds <n>", "DPO rounds; each after the first resamples with the previous round's model").default(1).argParser(intOption))
    .addOption(new Option("--steps <n>", "optimizer steps per round (default: --epochs over the pairs)").argParser(intOption))
    .addOption(new Option("--epochs <x>", "passes over the pairs per round").default(DPO_DEFAULTS.epochs).argParser(numberOption))
    .addOption(new Option("--batch <n>", "pairs per step").default(DPO_DEFAULTS.batch).argParser(intOption))
    .addOption(
      new Option("--lr <x>", "peak learning rate (the paper's 1e-5; this tiny generator was trained at 1e-3, so 5e-5..1e-4 may be needed)")
        .default(DPO_DEFAULTS.lr)
        .argParser(numberOption),
    )
    .addOption(new Option("--beta <x>", "DPO beta").default(DPO_DEFAULTS.beta).argParser(numberOption))
    .addOption(new Option("--cfg <g>", "guidance of DPO's log-probabilities: 0 the conditional logits, g the sampler's (1 + g) cond - g uncond, both halves trained").default(DPO_DEFAULTS.cfg).argParser(cfgOption))
    .addOption(new Option("--uncond-anchor <x>", "weight of a KL term holding the unconditional ([NULL]) half to the reference's, so that the guidance carries the conditional gain (0: none)").default(DPO_DEFAULTS.uncondAnchor).argParser(nonNegativeOption))
    .addOption(new Option("--masks <n>", "masks per pair and step: each image's log-likelihood is the mean over them (1: one mask a step; with --trajectory, steps drawn per pair)").default(DPO_DEFAULTS.masks).argParser(positiveIntOption))
    .addOption(new Option("--min-mask-ratio <x>", "the least share of positions each mask hides (0: the training schedule; the sampler's first steps read nearly all-masked rows)").default(DPO_DEFAULTS.minMaskRatio).argParser(shareOption))
    .option("--trajectory", "read each image at a random step of its own sampling trajectory (the ranking's orders) instead of under a random mask")
    .addOption(new Option("--nll-weight <x>", "weight of the chosen images' masked-token loss beside DPO's (RPO; 0: plain DPO)").default(DPO_DEFAULTS.nllWeight).argParser(nonNegativeOption))
    .addOption(new Option("--seed <n>", "seed of the prompts, paths, pair order and masks").default(1).argParser(seedOption))
    .option("--reward-guided", "reward-guided DPO: the judge's scores choose and weight the pairs")
    .option("--self-play", "self-play DPO: each round's \"no\" samples against ground-truth renders of their prompts (SPIN; every ranked round writes them, --data's too while the weights that sampled it are at hand)")
    .option("--judge <name>", "the judge of --reward-guided (fine-tuned, zero-shot, openai)")
    .addOption(new Option("--tau <x>", "reward-guided pair weight sigmoid((s_c - s_r)/tau)").default(DEFAULT_TAU).argParser(numberOption))
    .addOption(new Option("--prompts <n>", "ranked rounds: training prompts").default(1000).argParser(intOption))
    .addOption(new Option("--samples-per-prompt <k>", "ranked rounds: images per prompt").default(8).argParser(intOption))
    .addOption(new Option("--pairs-per-prompt <n>", "ranked rounds: pairs per prompt at most").default(2).argParser(intOption))
    .addOption(new Option("--temperature <x>", "ranked rounds: token draw temperature").default(RANK_TEMPERATURE).argParser(temperatureOption));
  addTagBalanceOptions(cmd, "ranked rounds without --data: ")
    .addOption(queueOption("ranked rounds: sample the prompts"))
    .addOption(new Option("--stop-at <step>", "checkpoint and stop once this many DPO steps are done (rounds counted one after another); rerun to go on").argParser(intOption))
    .option("--quiet", "no progress bar, no stage lines (the JSON log lines stay)")
    .option("--json", "when done, print the rounds' summaries as one JSON object on stdout (no progress bar)")
    .addHelpText(
      "after",
      [
        "",
        "Machine output: every logged DPO step is one JSON line on stderr ({step, loss, accuracy, margin,",
        "reward_chosen, reward_rejected, lr, sec_per_step}); with --json, stdout gets {out, results, rounds}",
        "(or {stopped_at} after --stop-at).",
        "Exit codes: 0 done or stopped at --stop-at, 1 failure, 2 bad arguments or settings.",
        "",
        "Examples:",
        "  imagecot data rank --prompts 2000 --out runs/rank-1 && imagecot train dpo --data runs/rank-1 --lr 5e-5",
        "  imagecot train dpo --rounds 3 --prompts 2000 --pairs 10000 --min-tag-share 0.1 --run-dir runs/dpo-iter   # every round tag-balanced",
        "  imagecot train dpo --data runs/rank-1 --rounds 2 --run-dir runs/dpo-iter --out models/generator-dpo-iter.safetensors --results results/train-dpo-iter.json",
        "  imagecot worker --queue redis://127.0.0.1:6379 --generators runs/dpo-iter &   # a worker that can sample with every round's weights",
        "  imagecot train dpo --data runs/rank-1 --rounds 2 --run-dir runs/dpo-iter --queue redis://127.0.0.1:6379",
        "  imagecot train dpo --data runs/rank-1 --reward-guided --judge fine-tuned --run-dir runs/dpo-rg --out models/generator-dpo-rg.safetensors --results results/train-dpo-rg.json",
      ].join("\n"),
    )
    .action(async (o: TrainDpoCliOptions) => {
      const r = await trainDpoCommand(o, onLog);
      if (o.json) process.stdout.write(JSON.stringify(r ? { out: o.out, results: o.results, rounds: r } : { stopped_at: o.stopAt }) + "\n");
      else process.stderr.write(r ? `wrote ${o.out} and ${o.results}\n` : `stopped at step ${o.stopAt}; rerun the same command without --stop-at to go on\n`);
    });
}
