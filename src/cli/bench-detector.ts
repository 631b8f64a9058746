// `imagecot bench detector`: the shapes detector's gates on the test suite (see src/shapes/detector-bench.ts).
import { Command, Option } from "commander";
import { writeResult } from "../util/provenance.js";
import { readMetadataFile } from "../geneval/metadata.js";
import { benchDetector } from "../shapes/detector-bench.js";
import { TEST_SUITE_FILE } from "../shapes/train-prompts.js";
import { SHAPE_CLASSES } from "../shapes/world.js";
import { userInput } from "./geneval.js";
import { progressCallback } from "./progress.js";
import { intOption, seedOption } from "./options.js";
import { UserError } from "./run.js";

interface DetectorBenchCliOptions {
  json?: boolean;
  quiet?: boolean;
  out?: string;
  suite: string;
  images: number;
  degraded: number;
  nearMisses: number;
  seed: number;
}

export function addDetectorBench(bench: Command): void {
  bench
    .command("detector")
    .description("detector accuracy on clean renders of the test suite, near misses passed, accuracy under VQ-like degradations")
    .option("--json", "print the figures as one JSON line")
    .option("--quiet", "no progress bar")
    .option("--out <file>", "also write the figures with their provenance (e.g. results/detector.json)")
    .option("--suite <file>", "metadata JSONL to render", TEST_SUITE_FILE)
    .addOption(new Option("--images <n>", "clean images in all (spread evenly over the prompts)").default(2560).argParser(intOption))
    .addOption(new Option("--degraded <n>", "images per degradation").default(1280).argParser(intOption))
    .addOption(new Option("--near-misses <k>", "near misses per prompt and kind of miss").default(2).argParser(intOption))
    .addOption(new Option("--seed <n>", "random seed of the scenes").default(0).argParser(seedOption))
    .addHelpText("after", "\nExample:\n  imagecot bench detector --json --out results/detector.json")
    .action((o: DetectorBenchCliOptions) => {
      if (o.images < 1 || o.degraded < 1 || o.nearMisses < 1) throw new UserError("--images, --degraded and --near-misses must each be at least 1: every gate is measured");
      const suite = userInput(() => readMetadataFile(o.suite, { classes: SHAPE_CLASSES }));
      const bar = progressCallback("bench detector", !o.json && !o.quiet);
      let result;
      try {
        result = benchDetector({ suite, images: o.images, degradedImages: o.degraded, nearMissesPerKind: o.nearMisses, seed: o.seed, onProgress: bar.onProgress });
      } finally {
        bar.stop();
      }
      if (o.out) writeResult(o.out, { detector: result });
      process.stdout.write(JSON.stringify(result, null, o.json ? undefined : 2) + "\n");
    });
}
