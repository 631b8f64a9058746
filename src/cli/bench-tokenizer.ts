// `imagecot bench tokenizer`: does encode-then-decode keep the detector's verdict (>= 99.5%), and is pure background one code (<= 4 codes, <= 0.2 nats)?
import { Command, Option } from "commander";
import { writeResult } from "../util/provenance.js";
import { readMetadataFile } from "../geneval/metadata.js";
import { loadVQ } from "../models/load.js";
import { DEFAULT_TOKENIZER } from "../models/paths.js";
import { TEST_SUITE_FILE } from "../shapes/train-prompts.js";
import { benchTokenizer } from "../tokenizer/bench.js";
import { progressCallback } from "./progress.js";
import { intOption, seedOption } from "./options.js";
import { UserError } from "./run.js";

export function addTokenizerBench(bench: Command): void {
  bench
    .command("tokenizer")
    .description("encode-decode ground-truth renders of the test suite: share whose GenEval verdict is unchanged, and the codes of pure background")
    .option("--json", "print the figures as one JSON line")
    .option("--quiet", "no progress bar")
    .option("--out <file>", "also write the figures with their provenance (e.g. results/tokenizer.json)")
    .option("--tokenizer <file>", "tokenizer weights", DEFAULT_TOKENIZER)
    .addOption(new Option("--images <n>", "images in all (spread evenly over the prompts)").default(2000).argParser(intOption))
    .addOption(new Option("--seed <n>", "random seed of the scenes").default(0).argParser(seedOption))
    .addHelpText("after", "\nExit codes: 0 measured, 1 failure (missing weights), 2 bad arguments.\n\nExample:\n  imagecot bench tokenizer --json --out results/tokenizer.json")
    .action((o: { json?: boolean; quiet?: boolean; out?: string; tokenizer: string; images: number; seed: number }) => {
      if (o.images < 1) throw new UserError("--images must be at least 1");
      const vq = (() => {
        try {
          return loadVQ(o.tokenizer);
        } catch (e) {
          throw new UserError(`cannot load the tokenizer: ${(e as Error).message}`, 1);
        }
      })();
      const bar = progressCallback("bench tokenizer", !o.json && !o.quiet);
      let result;
      try {
        result = benchTokenizer(vq, readMetadataFile(TEST_SUITE_FILE), o.images, o.seed, 64, bar.onProgress);
      } finally {
        bar.stop();
      }
      if (o.out) writeResult(o.out, { tokenizer: result });
      process.stdout.write(JSON.stringify(result, null, o.json ? undefined : 2) + "\n");
    });
}
