// `imagecot data paths`: the data the embedded judges and self-correction are trained on.
import { Command, Option } from "commander";
import { DEFAULT_SAMPLE } from "../generator/sampler.js";
import { collectPaths } from "../judges/collect.js";
import { loadPipeline } from "../models/load.js";
import { registerDataRank } from "./data-rank.js";
import { intOption } from "./options.js";
import { progressBar } from "./progress.js";

export function registerData(program: Command): void {
  const data = program.command("data").description("build training data from the generator (training prompts only; resumable)");
  data
    .command("paths")
    .description("decode paths for training prompts, keep every step, label finals with the detector, add Math-Shepherd rollouts")
    .requiredOption("--out <dir>", "output folder (chunk files; rerun to resume)")
    .addOption(new Option("--prompts <n>", "training prompts").default(400).argParser(intOption))
    .addOption(new Option("--paths-per-prompt <n>", "paths per prompt").default(8).argParser(intOption))
    .addOption(new Option("--chunk <n>", "prompts per file").default(10).argParser(intOption))
    .addOption(new Option("--seed <n>", "seed of prompts and paths").default(1).argParser(intOption))
    .option("--generator <file>", "generator weights (default: the shipped ones)")
    .option("--quiet", "no progress bar")
    .addHelpText("after", "\nExample:\n  imagecot data paths --out runs/paths-a --prompts 400 --seed 11")
    .action((o: { out: string; prompts: number; pathsPerPrompt: number; chunk: number; seed: number; generator?: string; quiet?: boolean }) => {
      const pipeline = loadPipeline(o.generator);
      const bar = progressBar(o.prompts, "paths", !o.quiet);
      try {
        collectPaths(pipeline, { ...o, sample: DEFAULT_SAMPLE, onProgress: (d) => bar.update(d) });
      } finally {
        bar.stop();
      }
    });
  registerDataRank(data);
}
