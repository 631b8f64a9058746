// `imagecot bench generate`: sampling speed and efficiency of the shipped generator.
import { Command, Option } from "commander";
import { benchGenerate } from "../../bench/generate.js";
import { writeResult } from "../eval/provenance.js";
import { readMetadataFile } from "../geneval/metadata.js";
import { TEST_SUITE_FILE } from "../shapes/train-prompts.js";
import { progressCallback } from "./progress.js";
import { intOption } from "./options.js";
import { UserError } from "./run.js";
import { cliPipeline } from "./pipeline.js";

export function addGenerateBench(bench: Command): void {
  bench
    .command("generate")
    .description("images per second at N paths x 18 steps with CFG, achieved GFLOP/s against matmul GFLOP/s, peak RSS")
    .option("--json", "print the figures as one JSON line")
    .option("--quiet", "no progress bar")
    .option("--out <file>", "also write the figures with their provenance (e.g. results/generate.json)")
    .addOption(new Option("--images <n>", "images to time (prompts of the test suite, in order)").default(8).argParser(intOption))
    .addOption(new Option("--n <paths>", "paths per image").default(20).argParser(intOption))
    .option("--generator <file>", "generator weights (default: the shipped model)")
    .option("--tokenizer <file>", "tokenizer weights (default: the shipped model)")
    .addHelpText("after", "\nExit codes: 0 measured, 1 failure (missing weights), 2 bad arguments.\n\nExample:\n  imagecot bench generate --images 8 --n 20 --json --out results/generate.json")
    .action((o: { json?: boolean; quiet?: boolean; out?: string; images: number; n: number; generator?: string; tokenizer?: string }) => {
      if (o.images < 1 || o.n < 1) throw new UserError("--images and --n must be at least 1");
      const pipeline = cliPipeline(o.generator, o.tokenizer);
      const suite = readMetadataFile(TEST_SUITE_FILE);
      const prompts = Array.from({ length: o.images }, (_, i) => suite[(i * 37) % suite.length].prompt);
      const bar = progressCallback("bench generate", !o.json && !o.quiet);
      let result;
      try {
        result = benchGenerate(pipeline, prompts, o.n, bar.onProgress);
      } finally {
        bar.stop();
      }
      if (o.out) writeResult(o.out, { generate: result });
      process.stdout.write(JSON.stringify(result, null, o.json ? undefined : 2) + "\n");
    });
}
