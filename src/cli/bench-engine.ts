// `imagecot bench engine`: speed and memory of the tensor engine (bench/engine.ts).
import { Command, Option } from "commander";
import { runEngineBench } from "../../bench/engine.js";
import { writeResult } from "../util/provenance.js";
import { progressCallback } from "./progress.js";
import { intOption } from "./options.js";

export function addEngineBench(bench: Command): void {
  bench
    .command("engine")
    .description("matmul GFLOP/s, op overhead, transformer and CNN training steps, RSS over a long run")
    .option("--json", "print only the JSON object")
    .option("--out <file>", "also write the figures with their provenance (e.g. results/engine.json)")
    .addOption(new Option("--transformer-steps <n>", "timed steps of the reference transformer").default(10).argParser(intOption))
    .addOption(new Option("--cnn-steps <n>", "timed steps of the CNN").default(20).argParser(intOption))
    .addOption(new Option("--rss-steps <n>", "steps of the long run for RSS growth").default(10000).argParser(intOption))
    .option("--no-reference", "skip building and timing the C++ reference step")
    .option("--quiet", "no stage lines on stderr")
    .addHelpText("after", "\nEach stage is announced on stderr as it starts (not with --json or --quiet).\n\nExample:\n  imagecot bench engine --json --out results/engine.json")
    .action((o: { json?: boolean; quiet?: boolean; out?: string; transformerSteps: number; cnnSteps: number; rssSteps: number; reference: boolean }) => {
      const bar = progressCallback("bench engine: rss", !o.json && !o.quiet);
      let result;
      try {
        result = runEngineBench({
          ...o,
          onStage: o.json || o.quiet ? undefined : (s) => process.stderr.write(`bench engine: ${s}...\n`),
          onProgress: bar.onProgress,
        });
      } finally {
        bar.stop();
      }
      if (o.out) writeResult(o.out, { engine: result });
      process.stdout.write(JSON.stringify(result, null, o.json ? undefined : 2) + "\n");
    });
}
