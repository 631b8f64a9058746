// `imagecot bench oracle`: the ceiling of choosing among N recorded paths (analysis only).
import { judgeId } from "../judges/judge.js";
import { Command } from "commander";
import { relative } from "node:path";
import { MissingVerdictsError, oracleOfRecording } from "../../bench/oracle.js";
import { writeResult } from "../util/provenance.js";
import { readMetadataFile } from "../geneval/metadata.js";
import { cliJudge } from "./judge.js";
import { cliPipeline } from "./pipeline.js";
import { UserError } from "./run.js";
import { TEST_SUITE_FILE } from "../shapes/train-prompts.js";
import { requireFolder } from "../util/folder.js";

export function addOracleBench(bench: Command): void {
  bench
    .command("oracle")
    .description("from a recording (eval --replay, seed 0, 1 image per prompt): accuracy if the detector picked the best of the N paths, the ceiling of any ORM")
    .requiredOption("--record <dir>", "the recording folder")
    .option("--judges <names>", "also score how these judges rank right paths above wrong ones (their outcome verdicts cached in the recording by the same weights)", "")
    .option("--json", "print the figures as one JSON line")
    .option("--out <file>", "also write them with their provenance (e.g. results/oracle.json)")
    .addHelpText("after", "\nExit codes: 0 measured, 1 failure (a recording without every image, or a judge's outcome verdicts not cached for every image), 2 bad arguments.\n\nExample:\n  imagecot bench oracle --record runs/record --judges zero-shot,fine-tuned --out results/oracle.json")
    .action((o: { record: string; judges: string; json?: boolean; out?: string }) => {
      requireFolder(o.record);
      // each judge's id (its weights' hash): verdicts cached by other weights are not its own
      const judges = o.judges.split(",").filter((j) => j !== "").map((name) => ({ name, id: judgeId(cliJudge({ judge: name })) }));
      let result;
      try {
        result = oracleOfRecording(cliPipeline(), o.record, readMetadataFile(TEST_SUITE_FILE), judges);
      } catch (e) {
        if (!(e instanceof MissingVerdictsError)) throw e;
        // the verdicts of every recorded path of sample 0: the replay caches them for all N it reads from
        const cache = (j: string) => `imagecot eval --suite ${relative(process.cwd(), TEST_SUITE_FILE)} --strategy best-of-n --judge ${j} --n ${e.paths} --images-per-prompt 1 --seed 0 --replay ${o.record}`;
        throw new UserError(`${e.message}: cache them with ${e.missing.map((m) => `'${cache(m.judge)}'`).join(" and ")}`, 1);
      }
      if (o.out) writeResult(o.out, { oracle: result });
      process.stdout.write(JSON.stringify(result, null, o.json ? undefined : 2) + "\n");
    });
}
