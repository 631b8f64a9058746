// `imagecot bench dpo-memory`: iterative DPO's resident memory across rounds in one process (bench/dpo-memory.ts).
import { Command, Option } from "commander";
import { dpoMemory } from "../../bench/dpo-memory.js";
import { DEFAULT_GENERATOR_WEIGHTS, DEFAULT_TOKENIZER } from "../models/paths.js";
import { writeResult } from "../util/provenance.js";
import { intOption } from "./options.js";
import { UserError } from "./run.js";

export function addDpoMemoryBench(bench: Command): void {
  bench
    .command("dpo-memory")
    .description("resident memory of iterative DPO across rounds in one process: each round's peak against the first's")
    .option("--generator <file>", "the start", DEFAULT_GENERATOR_WEIGHTS)
    .option("--tokenizer <file>", "VQ tokenizer weights", DEFAULT_TOKENIZER)
    .addOption(new Option("--rounds <n>", "rounds").default(3).argParser(intOption))
    .addOption(new Option("--prompts <n>", "training prompts ranked per round").default(100).argParser(intOption))
    .addOption(new Option("--samples-per-prompt <k>", "images per prompt").default(8).argParser(intOption))
    .addOption(new Option("--steps <n>", "DPO steps per round").default(50).argParser(intOption))
    .option("--json", "print the figures as one JSON line")
    .option("--out <file>", "also write them with their provenance (e.g. results/dpo-memory.json)")
    .addHelpText("after", "\nExit codes: 0 measured, 1 failure, 2 bad arguments.\n\nExample:\n  imagecot bench dpo-memory --rounds 3 --prompts 100 --out results/dpo-memory.json")
    .action(async (o: { generator: string; tokenizer: string; rounds: number; prompts: number; samplesPerPrompt: number; steps: number; json?: boolean; out?: string }) => {
      if (o.rounds < 2 || o.prompts < 1 || o.samplesPerPrompt < 2 || o.steps < 1) throw new UserError("--rounds must be at least 2, --samples-per-prompt at least 2, --prompts and --steps at least 1");
      const result = await dpoMemory(o);
      if (o.out) writeResult(o.out, { dpo_memory: result });
      process.stdout.write(JSON.stringify(result, null, o.json ? undefined : 2) + "\n");
    });
}
