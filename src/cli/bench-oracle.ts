// `imagecot bench oracle`: the ceiling of choosing among N recorded paths (analysis only).
import { Command } from "commander";
import { oracleOfRecording } from "../../bench/oracle.js";
import { writeResult } from "../util/provenance.js";
import { readMetadataFile } from "../geneval/metadata.js";
import { cliPipeline } from "./pipeline.js";
import { TEST_SUITE_FILE } from "../shapes/train-prompts.js";

export function addOracleBench(bench: Command): void {
  bench
    .command("oracle")
    .description("from a recording (eval --replay, seed 0, 1 image per prompt): accuracy if the detector picked the best of the N paths, the ceiling of any ORM")
    .requiredOption("--record <dir>", "the recording folder")
    .option("--judges <names>", "also score how these judges rank right paths above wrong ones (their cached outcome verdicts in the recording)", "")
    .option("--json", "print the figures as one JSON line")
    .option("--out <file>", "also write them with their provenance (e.g. results/oracle.json)")
    .addHelpText("after", "\nExit codes: 0 measured, 1 failure (a missing recording), 2 bad arguments.\n\nExample:\n  imagecot bench oracle --record runs/record --judges zero-shot,fine-tuned --out results/oracle.json")
    .action((o: { record: string; judges: string; json?: boolean; out?: string }) => {
      const judges = o.judges.split(",").filter((j) => j !== "");
      const result = oracleOfRecording(cliPipeline(), o.record, readMetadataFile(TEST_SUITE_FILE), judges);
      if (o.out) writeResult(o.out, { oracle: result });
      process.stdout.write(JSON.stringify(result, null, o.json ? undefined : 2) + "\n");
    });
}
