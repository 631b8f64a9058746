// `imagecot data rank`: DPO's ranking data: K samples per training prompt labelled yes/no by
// the detector, stored with their tokens and PNGs, and the yes/no pairs (src/align/rank.ts).
import { Command, Option } from "commander";
import { DEFAULT_TAU } from "../align/pairs.js";
import { RANK_TEMPERATURE, type RankPlanOptions, type RankResult, RankSettingsError } from "../align/rank.js";
import { type BalanceReport, rankDataBalanced } from "../align/balance.js";
import { DEFAULT_SAMPLE } from "../generator/sampler.js";
import type { Pipeline } from "../generator/pipeline.js";
import { DEFAULT_GENERATOR_WEIGHTS, DEFAULT_TOKENIZER } from "../models/paths.js";
import { cliJudge } from "./judge.js";
import { cfgOption, flatPenaltyOption, intOption, numberOption, seedOption, temperatureOption } from "./options.js";
import { progressRuns } from "./progress.js";
import { UserError } from "./run.js";
import { cliPipeline } from "./pipeline.js";
import { disposePipeline } from "../models/load.js";
import { onQueue, queueOption } from "./queue.js";
import { pipelineIds } from "../eval/fingerprint.js";
import { jobModels } from "../queue/models.js";
import { queueRank } from "../queue/rank.js";
import { type TagBalanceCliOptions, addTagBalanceOptions, tagBalanceOf } from "./tag-balance.js";

export interface DataRankCliOptions extends TagBalanceCliOptions {
  out: string;
  prompts: number;
  samplesPerPrompt: number;
  pairsPerPrompt: number;
  temperature: number;
  flatPenalty: number;
  steps: number;
  cfg: number;
  seed: number;
  generator: string;
  tokenizer: string;
  judge?: string;
  renderPairs?: boolean;
  tau: number;
  quiet?: boolean;
  json?: boolean;
  queue?: string;
}

/** Samples a ranking plan's prompts on the queue's workers (their records land in the plan's folder). */
export function rankOnQueue(url: string, judge: string | undefined, bar: boolean): (pipeline: Pipeline, plan: RankPlanOptions) => Promise<void> {
  const jobJudge = judge ? { judge } : null;
  return async (pipeline, plan) => {
    const models = jobModels(pipelineIds(plan.generator, pipeline), jobJudge);
    await onQueue(url, "rank", bar, (c, onProgress) => queueRank(c, { ...plan, judge: jobJudge, models }, onProgress));
  };
}

export async function dataRankCommand(o: DataRankCliOptions): Promise<RankResult & { balance?: BalanceReport }> {
  if (o.samplesPerPrompt < 2) throw new UserError("--samples-per-prompt must be at least 2 to make a pair");
  if (o.pairsPerPrompt < 1) throw new UserError("--pairs-per-prompt must be at least 1");
  if (o.prompts < 1) throw new UserError("--prompts must be at least 1");
  const balance = tagBalanceOf(o);
  const judge = o.judge ? cliJudge({ judge: o.judge }) : undefined;
  const pipeline = cliPipeline(o.generator, o.tokenizer);
  const plan = {
    out: o.out,
    prompts: o.prompts,
    samplesPerPrompt: o.samplesPerPrompt,
    seed: o.seed,
    sample: { ...DEFAULT_SAMPLE, steps: o.steps, cfg: o.cfg, temperature: o.temperature, flatPenalty: o.flatPenalty },
    pairsPerPrompt: o.pairsPerPrompt,
    generator: o.generator,
  };
  const showBar = !o.quiet && !o.json;
  const onRank = o.queue ? rankOnQueue(o.queue, o.judge, showBar) : undefined;
  // after the queue every record is on disk: what is left is the pairs (and scoring records of an earlier run)
  const bars = progressRuns(showBar && !onRank);
  try {
    return await rankDataBalanced(pipeline, {
      ...plan,
      judge,
      renderPairs: o.renderPairs,
      tau: o.tau,
      balance,
      before: onRank ? (extra) => onRank(pipeline, { ...plan, extra }) : undefined,
      onProgress: (done, total) => bars.onProgress("rank", done, total),
      onStage: (m) => {
        if (showBar) process.stderr.write(m + "\n");
      },
    });
  } catch (e) {
    if (e instanceof RankSettingsError) throw new UserError(e.message);
    throw e;
  } finally {
    bars.stop();
    disposePipeline(pipeline);
  }
}

/** Adds `rank` to the `data` command group. */
export function registerDataRank(data: Command): void {
  const cmd = data
    .command("rank")
    .description("DPO ranking data: sample K images per training prompt, label yes/no with the detector, write yes/no pairs (resumable)")
    .requiredOption("--out <dir>", "output folder (rerun the same command to resume)")
    .addOption(new Option("--prompts <n>", "training prompts").default(1000).argParser(intOption))
    .addOption(new Option("--samples-per-prompt <k>", "images sampled per prompt").default(8).argParser(intOption))
    .addOption(new Option("--pairs-per-prompt <n>", "pairs per prompt at most (of each kind)").default(2).argParser(intOption))
    .addOption(new Option("--temperature <x>", "softmax temperature of the token draws (high, for diversity)").default(RANK_TEMPERATURE).argParser(temperatureOption))
    .addOption(new Option("--steps <n>", "decoding steps").default(DEFAULT_SAMPLE.steps).argParser(intOption))
    .addOption(new Option("--cfg <g>", "classifier-free guidance").default(DEFAULT_SAMPLE.cfg).argParser(cfgOption))
    .addOption(flatPenaltyOption())
    .addOption(new Option("--seed <n>", "seed of the prompts and the paths").default(1).argParser(seedOption))
    .option("--generator <file>", "generator weights", DEFAULT_GENERATOR_WEIGHTS)
    .option("--tokenizer <file>", "VQ tokenizer weights", DEFAULT_TOKENIZER)
    .option("--judge <name>", "also score every image with this judge (outcome question) and write pairs-guided.jsonl for reward-guided DPO")
    .addOption(new Option("--tau <x>", "reward-guided pair weight sigmoid((s_c - s_r)/tau)").default(DEFAULT_TAU).argParser(numberOption))
    .option("--render-pairs", "also write pairs-render.jsonl for self-play DPO: each \"no\" sample against a ground-truth render of its prompt (kept in step on every rerun)");
  addTagBalanceOptions(cmd)
    .addOption(queueOption("sample the prompts"))
    .option("--quiet", "no progress bar")
    .option("--json", "print the pair statistics as JSON")
    .addHelpText(
      "after",
      "\nExit codes: 0 written, 1 failure (missing weights) or --pairs' tag balance not met (the data is written all the same), 2 bad arguments.\n\nExamples:\n  imagecot data rank --prompts 2000 --samples-per-prompt 8 --out runs/rank-1\n  imagecot data rank --prompts 2000 --samples-per-prompt 8 --out runs/rank-1 --judge fine-tuned   # adds judge scores\n  imagecot data rank --prompts 2000 --samples-per-prompt 8 --out runs/rank-1 --render-pairs   # adds self-play pairs",
    )
    .action(async (o: DataRankCliOptions) => {
      const r = await dataRankCommand(o);
      const shares = r.balance ? `; by tag ${Object.entries(r.balance.by_tag).map(([t, c]) => `${t} ${(100 * c.share).toFixed(1)}%`).join(", ")}${r.balance.met ? "" : " (balance NOT met: see balance.json)"}` : "";
      const render = r.render ? `; ${r.render.pairs} self-play pairs from ${r.render.with_no} prompts` : "";
      process.stdout.write(o.json ? JSON.stringify(r) + "\n" : `${r.stats.pairs} pairs from ${r.stats.mixed} of ${r.stats.prompts} prompts (yes rate ${r.stats.yes_rate.toFixed(3)}; ${r.stats.all_yes} all yes, ${r.stats.all_no} all no)${shares}${render} in ${o.out}\n`);
      // a script must not go on to train on data short of the balance it asked for
      if (r.balance && !r.balance.met)
        throw new UserError(`the tag balance was not met (${o.out}/balance.json): raise --max-stages (or --prompts, before any stage was added) and rerun (the samples made are kept)`, 1);
    });
}
