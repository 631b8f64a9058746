// `imagecot bench generate`: sampling speed and efficiency of the shipped generator.
import { Command, Option } from "commander";
import { benchGenerate } from "../../bench/generate.js";
import { benchProcesses } from "../../bench/processes.js";
import { writeResult } from "../util/provenance.js";
import { readMetadataFile } from "../geneval/metadata.js";
import { TEST_SUITE_FILE } from "../shapes/train-prompts.js";
import { progressCallback } from "./progress.js";
import { intOption, pathsOption, positiveIntListOption } from "./options.js";
import { UserError } from "./run.js";
import { cliPipeline } from "./pipeline.js";
import { DEFAULT_MAX_ROWS } from "../generator/sampler.js";

export function addGenerateBench(bench: Command): void {
  bench
    .command("generate")
    .description("images per second at N paths x 18 steps with CFG, achieved GFLOP/s against matmul GFLOP/s, peak RSS")
    .option("--json", "print the figures as one JSON line")
    .option("--quiet", "no progress bar")
    .option("--out <file>", "also write the figures with their provenance (e.g. results/generate.json)")
    .addOption(new Option("--images <n>", "images to time (prompts of the test suite, in order)").default(8).argParser(intOption))
    .addOption(new Option("--n <paths>", "paths per image").default(20).argParser(pathsOption))
    .option("--generator <file>", "generator weights (default: the shipped model)")
    .option("--tokenizer <file>", "tokenizer weights (default: the shipped model)")
    .addOption(new Option("--max-rows <n>", "sequences per forward pass at most, as the suite loops use (each CFG half counts)").default(DEFAULT_MAX_ROWS).argParser(intOption))
    .addOption(new Option("--sweep <list>", "also time these --max-rows values (where does batching stop paying?), e.g. 40,80,160,240").argParser(positiveIntListOption))
    .option("--baseline-generator <file>", "also time this generator (with --baseline-tokenizer) in the same run: the cost guard")
    .option("--baseline-tokenizer <file>", "the baseline generator's tokenizer")
    .addOption(new Option("--processes <list>", "instead: time P copies at once for each P listed (each with cores/P OpenBLAS threads), their images per second summed: how many queue workers a machine wants, e.g. 1,2").argParser(positiveIntListOption))
    .addHelpText("after", "\nExit codes: 0 measured, 1 failure (missing weights), 2 bad arguments.\n\nExample:\n  imagecot bench generate --images 8 --n 20 --sweep 40,80,160,240 --json --out results/generate.json")
    .action(async (o: { json?: boolean; quiet?: boolean; out?: string; images: number; n: number; generator?: string; tokenizer?: string; maxRows: number; sweep?: number[]; baselineGenerator?: string; baselineTokenizer?: string; processes?: number[] }) => {
      if (o.images < 1 || o.n < 1 || o.maxRows < 1) throw new UserError("--images, --n and --max-rows must be at least 1");
      if (o.processes !== undefined) {
        if (o.sweep || o.baselineGenerator) throw new UserError("--processes runs without --sweep or --baseline-generator");
        const args = ["--images", String(o.images), "--n", String(o.n), "--max-rows", String(o.maxRows), ...(o.generator ? ["--generator", o.generator] : []), ...(o.tokenizer ? ["--tokenizer", o.tokenizer] : [])];
        const result = { processes: [] as unknown[] };
        for (const c of o.processes) result.processes.push(await benchProcesses(args, c));
        if (o.out) writeResult(o.out, result);
        process.stdout.write(JSON.stringify(result, null, o.json ? undefined : 2) + "\n");
        return;
      }
      const sweep = o.sweep ?? [];
      if (!o.baselineGenerator !== !o.baselineTokenizer) throw new UserError("--baseline-generator and --baseline-tokenizer go together");
      const pipeline = cliPipeline(o.generator, o.tokenizer);
      const baseline = o.baselineGenerator ? cliPipeline(o.baselineGenerator, o.baselineTokenizer) : null;
      const suite = readMetadataFile(TEST_SUITE_FILE);
      const prompts = Array.from({ length: o.images }, (_, i) => suite[(i * 37) % suite.length].prompt);
      const runs = 1 + sweep.length + (baseline ? 1 : 0);
      const bar = progressCallback("bench generate", !o.json && !o.quiet);
      let k = 0;
      const onProgress = (done: number) => bar.onProgress(k * prompts.length + done, runs * prompts.length);
      const result: Record<string, unknown> = {};
      try {
        result.generate = await benchGenerate(pipeline, prompts, o.n, o.maxRows, onProgress);
        if (sweep.length > 0) result.sweep = [];
        for (const rows of sweep) {
          k++;
          (result.sweep as unknown[]).push(await benchGenerate(pipeline, prompts, o.n, rows, onProgress));
        }
        if (baseline) {
          k++;
          result.baseline = { generator: o.baselineGenerator, ...(await benchGenerate(baseline, prompts, o.n, o.maxRows, onProgress)) };
        }
      } finally {
        bar.stop();
      }
      if (o.out) writeResult(o.out, result);
      process.stdout.write(JSON.stringify(result, null, o.json ? undefined : 2) + "\n");
    });
}
