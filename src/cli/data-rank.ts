// `imagecot data rank`: DPO's ranking data: K samples per training prompt labelled yes/no by
// the detector, stored with their tokens and PNGs, and the yes/no pairs (src/align/rank.ts).
import { Command, Option } from "commander";
import { DEFAULT_TAU } from "../align/pairs.js";
import { type PromptBlock, RANK_TEMPERATURE, type RankResult, RankSettingsError, rankData, rankedCount, readRanked } from "../align/rank.js";
import { type BalanceReport, DEFAULT_BALANCE, rankBalanced } from "../align/balance.js";
import { buildPairs } from "../align/pairs.js";
import { join } from "node:path";
import { readMetadataFile } from "../geneval/metadata.js";
import { TEST_SUITE_FILE, createTrainPromptSampler } from "../shapes/train-prompts.js";
import { writeFileAtomic } from "../util/atomic.js";
import { DEFAULT_SAMPLE } from "../generator/sampler.js";
import { DEFAULT_GENERATOR_WEIGHTS, DEFAULT_TOKENIZER } from "../models/paths.js";
import { cliJudge } from "./judge.js";
import { cfgOption, intOption, numberOption, seedOption, temperatureOption } from "./options.js";
import { progressBar } from "./progress.js";
import { UserError } from "./run.js";
import { cliPipeline } from "./pipeline.js";
import { disposePipeline } from "../models/load.js";
import { onQueue, queueOption } from "./queue.js";
import { pipelineIds } from "../eval/fingerprint.js";
import { jobModels } from "../queue/models.js";
import { queueRank } from "../queue/rank.js";

export interface DataRankCliOptions {
  out: string;
  prompts: number;
  samplesPerPrompt: number;
  pairsPerPrompt: number;
  temperature: number;
  steps: number;
  cfg: number;
  seed: number;
  generator: string;
  tokenizer: string;
  judge?: string;
  tau: number;
  quiet?: boolean;
  json?: boolean;
  queue?: string;
  /** tag balancing: the round's pairs in all (extra prompts for the tags short of their share) */
  pairs?: number;
  minTagShare: number;
  maxStages: number;
}

export async function dataRankCommand(o: DataRankCliOptions): Promise<RankResult & { balance?: BalanceReport }> {
  if (o.samplesPerPrompt < 2) throw new UserError("--samples-per-prompt must be at least 2 to make a pair");
  if (o.pairsPerPrompt < 1) throw new UserError("--pairs-per-prompt must be at least 1");
  if (o.prompts < 1) throw new UserError("--prompts must be at least 1");
  if (!(o.minTagShare > 0 && o.minTagShare * 5 <= 1)) throw new UserError("--min-tag-share must be above 0 and at most 0.2 (five tags have training prompts)");
  const judge = o.judge ? cliJudge({ judge: o.judge }) : undefined;
  const pipeline = cliPipeline(o.generator, o.tokenizer);
  const plan = {
    out: o.out,
    prompts: o.prompts,
    samplesPerPrompt: o.samplesPerPrompt,
    seed: o.seed,
    sample: { ...DEFAULT_SAMPLE, steps: o.steps, cfg: o.cfg, temperature: o.temperature },
    pairsPerPrompt: o.pairsPerPrompt,
    generator: o.generator,
  };
  const showBar = !o.quiet && !o.json;
  const queue = o.queue;
  const jobJudge = o.judge ? { judge: o.judge } : null;
  const models = queue ? jobModels(pipelineIds(o.generator, pipeline), jobJudge) : null;
  /** ranks what is missing of the plan's prompts and these extra blocks, on the queue first when there is one */
  const rank = async (extra: PromptBlock[]): Promise<RankResult> => {
    const total = o.prompts + extra.reduce((n, b) => n + b.count, 0);
    // after the queue every record is on disk: what is left is the pairs (and scoring records of an earlier run)
    const bar = progressBar(total, "rank", showBar && !queue);
    try {
      if (queue) await onQueue(queue, "rank", showBar, (c, onProgress) => queueRank(c, { ...plan, extra, judge: jobJudge, models: models! }, onProgress));
      return await rankData(pipeline, { ...plan, extra, judge, tau: o.tau, onProgress: (d) => bar.update(d) });
    } finally {
      bar.stop();
    }
  };
  try {
    if (o.pairs === undefined) return await rank([]);
    const target = o.pairs;
    const tags = createTrainPromptSampler(readMetadataFile(TEST_SUITE_FILE)).tags;
    const read = (extra: PromptBlock[]) => {
      const records = readRanked(o.out, rankedCount({ prompts: o.prompts, extra }));
      return { records, pairs: buildPairs(records, { perPrompt: o.pairsPerPrompt, seed: o.seed }).pairs };
    };
    const b = await rankBalanced({ ...DEFAULT_BALANCE, pairs: target, minShare: o.minTagShare, maxStages: o.maxStages }, tags, rank, read, (stage, blocks) => {
      if (!o.quiet && !o.json) process.stderr.write(`stage ${stage}: more prompts for ${blocks.map((x) => `${x.tag} (${x.count})`).join(", ")}\n`);
    });
    const { result, ...balance } = b;
    writeFileAtomic(join(o.out, "balance.json"), JSON.stringify(balance, null, 2) + "\n");
    return { ...result, balance };
  } catch (e) {
    if (e instanceof RankSettingsError) throw new UserError(e.message);
    throw e;
  } finally {
    disposePipeline(pipeline);
  }
}

/** Adds `rank` to the `data` command group. */
export function registerDataRank(data: Command): void {
  data
    .command("rank")
    .description("DPO ranking data: sample K images per training prompt, label yes/no with the detector, write yes/no pairs (resumable)")
    .requiredOption("--out <dir>", "output folder (rerun the same command to resume)")
    .addOption(new Option("--prompts <n>", "training prompts").default(1000).argParser(intOption))
    .addOption(new Option("--samples-per-prompt <k>", "images sampled per prompt").default(8).argParser(intOption))
    .addOption(new Option("--pairs-per-prompt <n>", "yes/no pairs per prompt at most").default(2).argParser(intOption))
    .addOption(new Option("--temperature <x>", "softmax temperature of the token draws (high, for diversity)").default(RANK_TEMPERATURE).argParser(temperatureOption))
    .addOption(new Option("--steps <n>", "decoding steps").default(DEFAULT_SAMPLE.steps).argParser(intOption))
    .addOption(new Option("--cfg <g>", "classifier-free guidance").default(DEFAULT_SAMPLE.cfg).argParser(cfgOption))
    .addOption(new Option("--seed <n>", "seed of the prompts and the paths").default(1).argParser(seedOption))
    .option("--generator <file>", "generator weights", DEFAULT_GENERATOR_WEIGHTS)
    .option("--tokenizer <file>", "VQ tokenizer weights", DEFAULT_TOKENIZER)
    .option("--judge <name>", "also score every image with this judge (outcome question) and write pairs-guided.jsonl for reward-guided DPO")
    .addOption(new Option("--tau <x>", "reward-guided pair weight sigmoid((s_c - s_r)/tau)").default(DEFAULT_TAU).argParser(numberOption))
    .addOption(new Option("--pairs <n>", "tag balancing: the pairs the round needs; tags short of --min-tag-share of them get more prompts of their own, stage by stage").argParser(intOption))
    .addOption(new Option("--min-tag-share <x>", "with --pairs: share of the pairs every tag must hold").default(DEFAULT_BALANCE.minShare).argParser(numberOption))
    .addOption(new Option("--max-stages <n>", "with --pairs: stages of extra prompts at most").default(DEFAULT_BALANCE.maxStages).argParser(intOption))
    .addOption(queueOption("sample the prompts"))
    .option("--quiet", "no progress bar")
    .option("--json", "print the pair statistics as JSON")
    .addHelpText(
      "after",
      "\nExit codes: 0 written, 1 failure (missing weights), 2 bad arguments.\n\nExamples:\n  imagecot data rank --prompts 2000 --samples-per-prompt 8 --out runs/rank-1\n  imagecot data rank --prompts 2000 --samples-per-prompt 8 --out runs/rank-1 --judge fine-tuned   # adds judge scores",
    )
    .action(async (o: DataRankCliOptions) => {
      const r = await dataRankCommand(o);
      const shares = r.balance ? `; by tag ${Object.entries(r.balance.by_tag).map(([t, c]) => `${t} ${(100 * c.share).toFixed(1)}%`).join(", ")}${r.balance.met ? "" : " (balance NOT met: see balance.json)"}` : "";
      process.stdout.write(o.json ? JSON.stringify(r) + "\n" : `${r.stats.pairs} pairs from ${r.stats.mixed} of ${r.stats.prompts} prompts (yes rate ${r.stats.yes_rate.toFixed(3)}; ${r.stats.all_yes} all yes, ${r.stats.all_no} all no)${shares} in ${o.out}\n`);
    });
}
