// `imagecot bench precision`: float32 against bfloat16 mixed precision on this CPU (bench/precision.ts).
import { Command, Option } from "commander";
import { benchPrecision } from "../../bench/precision.js";
import { EMBEDDED_JUDGES, loadJudgeNet } from "../judges/embedded.js";
import { loadGenerator } from "../models/load.js";
import { DEFAULT_GENERATOR_WEIGHTS } from "../models/paths.js";
import { writeResult } from "../util/provenance.js";
import { intOption } from "./options.js";

export function addPrecisionBench(bench: Command): void {
  bench
    .command("precision")
    .description("float32 against bfloat16 mixed precision: matmul, generator forward and training step, judge forward; speed and agreement")
    .option("--json", "print the figures as one JSON line")
    .option("--out <file>", "also write the figures with their provenance (e.g. results/precision.json)")
    .option("--generator <file>", "generator weights (default: the shipped model)")
    .option("--judge <file>", "judge weights (default: the shipped fine-tuned judge)")
    .addOption(new Option("--reps <n>", "timed repetitions of each forward").default(6).argParser(intOption))
    .addOption(new Option("--judge-batch <n>", "images per judge forward").default(32).argParser(intOption))
    .addOption(new Option("--train-batch <n>", "rows per generator training step (the long run's)").default(64).argParser(intOption))
    .addHelpText("after", "\nExample:\n  imagecot bench precision --json --out results/precision.json")
    .action((o: { json?: boolean; out?: string; generator?: string; judge?: string; reps: number; judgeBatch: number; trainBatch: number }) => {
      const generator = loadGenerator(o.generator ?? DEFAULT_GENERATOR_WEIGHTS);
      const judge = loadJudgeNet(o.judge ?? EMBEDDED_JUDGES["fine-tuned"]).net;
      const result = benchPrecision(generator, judge, o);
      if (o.out) writeResult(o.out, { precision: result });
      process.stdout.write(JSON.stringify(result, null, o.json ? undefined : 2) + "\n");
    });
}
