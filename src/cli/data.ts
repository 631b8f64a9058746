// `imagecot data paths`: the data the embedded judges and self-correction are trained on.
import { readdirSync } from "node:fs";
import { Command, Option } from "commander";
import { DEFAULT_SAMPLE } from "../generator/sampler.js";
import { collectPaths } from "../judges/collect.js";
import { registerDataRank } from "./data-rank.js";
import { flatPenaltyOption, intOption, numberOption, seedOption } from "./options.js";
import { progressBar } from "./progress.js";
import { UserError } from "./run.js";
import { cliPipeline } from "./pipeline.js";
import { onQueue, queueOption } from "./queue.js";
import { pipelineIds } from "../eval/fingerprint.js";
import { DEFAULT_GENERATOR_WEIGHTS } from "../models/paths.js";
import { queuePaths } from "../queue/paths.js";
import { jobModels } from "../queue/models.js";

interface DataPathsCliOptions {
  out: string;
  prompts: number;
  pathsPerPrompt: number;
  chunk: number;
  seed: number;
  rolloutShare: number;
  flatPenalty: number;
  generator?: string;
  json?: boolean;
  quiet?: boolean;
  queue?: string;
}

export interface DataPathsOutput {
  out: string;
  prompts: number;
  paths_per_prompt: number;
  /** chunk files in the folder once done (a rerun finds them and skips their prompts) */
  chunks: number;
}

export async function dataPathsCommand(o: DataPathsCliOptions): Promise<DataPathsOutput> {
  if (o.prompts < 1 || o.pathsPerPrompt < 1 || o.chunk < 1) throw new UserError("--prompts, --paths-per-prompt and --chunk must each be at least 1");
  if (!(o.rolloutShare > 0 && o.rolloutShare <= 1)) throw new UserError(`--rollout-share must be in (0, 1], got ${o.rolloutShare}`);
  const pipeline = cliPipeline(o.generator);
  const sample = { ...DEFAULT_SAMPLE, flatPenalty: o.flatPenalty };
  const showBar = !o.quiet && !o.json;
  const queue = o.queue;
  if (queue) {
    const models = jobModels(pipelineIds(o.generator ?? DEFAULT_GENERATOR_WEIGHTS, pipeline), null);
    await onQueue(queue, "paths", showBar, (c, onProgress) => queuePaths(c, { ...o, sample, models }, onProgress));
  }
  // after the queue every chunk is on disk: nothing left to show
  const bar = progressBar(o.prompts, "paths", showBar && !queue);
  try {
    await collectPaths(pipeline, { ...o, sample, onProgress: (d) => bar.update(d) });
  } finally {
    bar.stop();
  }
  const chunks = readdirSync(o.out).filter((f) => /^chunk-\d+\.json$/.test(f)).length;
  return { out: o.out, prompts: o.prompts, paths_per_prompt: o.pathsPerPrompt, chunks };
}

export function registerData(program: Command): void {
  const data = program.command("data").description("build training data from the generator (training prompts only; resumable)");
  data
    .command("paths")
    .description("decode paths for training prompts, keep every step, label finals with the detector, add Math-Shepherd rollouts")
    .requiredOption("--out <dir>", "output folder (chunk files; rerun to resume)")
    .addOption(new Option("--prompts <n>", "training prompts").default(400).argParser(intOption))
    .addOption(new Option("--paths-per-prompt <n>", "paths per prompt").default(8).argParser(intOption))
    .addOption(new Option("--chunk <n>", "prompts per file").default(10).argParser(intOption))
    .addOption(new Option("--seed <n>", "seed of prompts and paths").default(1).argParser(seedOption))
    .addOption(new Option("--rollout-share <x>", "share of the paths given Math-Shepherd rollouts (the process labels): they cost more than the paths").default(1).argParser(numberOption))
    .addOption(flatPenaltyOption())
    .option("--generator <file>", "generator weights (default: the shipped ones)")
    .addOption(queueOption("decode the prompts"))
    .option("--json", "print what was written as one JSON object (no progress bar)")
    .option("--quiet", "no progress bar; print nothing on success")
    .addHelpText("after", "\nExit codes: 0 written, 1 failure (missing weights), 2 bad arguments.\n\nExample:\n  imagecot data paths --out runs/paths-a --prompts 400 --seed 11")
    .action(async (o: DataPathsCliOptions) => {
      const r = await dataPathsCommand(o);
      if (o.json) process.stdout.write(JSON.stringify(r) + "\n");
      else if (!o.quiet) process.stdout.write(`wrote ${r.prompts} prompts x ${r.paths_per_prompt} paths in ${r.chunks} chunk file(s) to ${r.out}\n`);
    });
  registerDataRank(data);
}
