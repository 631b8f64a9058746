// `imagecot bench replay`: replayed strategies against live runs on the real model.
import { Command, Option } from "commander";
import { checkReplay } from "../../bench/replay.js";
import { writeResult } from "../util/provenance.js";
import { readMetadataFile } from "../geneval/metadata.js";
import { EmbeddedStepGenerator } from "../generator/embedded-steps.js";
import { DEFAULT_SAMPLE } from "../generator/sampler.js";
import { cliPipeline } from "./pipeline.js";
import { TEST_SUITE_FILE } from "../shapes/train-prompts.js";
import { judgeId } from "../judges/judge.js";
import { cliJudge } from "./judge.js";
import { intOption, pathsOption } from "./options.js";
import { UserError } from "./run.js";

export function addReplayBench(bench: Command): void {
  bench
    .command("replay")
    .description("run none, best-of-n and parm live and replayed from a recording (eval --replay) on a sample of test prompts; count identical images, NFE and judge calls")
    .requiredOption("--record <dir>", "the recording folder of eval --replay (seed 0, same N)")
    .option("--judge <name>", "judge of the replayed verdicts", "fine-tuned")
    .addOption(new Option("--prompts <k>", "test prompts sampled evenly across the suite").default(6).argParser(intOption))
    .addOption(new Option("--n <paths>", "paths per image, as recorded").default(20).argParser(pathsOption))
    .option("--json", "print the figures as one JSON line")
    .option("--out <file>", "also write them with their provenance (e.g. results/replay-check.json)")
    .addHelpText("after", "\nExit codes: 0 measured, 1 failure, 2 bad arguments.\n\nExample:\n  imagecot bench replay --record runs/record --judge fine-tuned --prompts 6 --out results/replay-check.json")
    .action(async (o: { record: string; judge: string; prompts: number; n: number; json?: boolean; out?: string }) => {
      if (o.prompts < 1) throw new UserError("--prompts must be at least 1");
      const suite = readMetadataFile(TEST_SUITE_FILE);
      const prompts = Array.from({ length: o.prompts }, (_, i) => Math.floor((i * suite.length) / o.prompts));
      const judge = cliJudge({ judge: o.judge });
      const rows = await checkReplay({ generator: new EmbeddedStepGenerator(cliPipeline()), n: o.n, sample: DEFAULT_SAMPLE }, judge, o.judge, o.record, suite, prompts);
      if (o.out) writeResult(o.out, { replay_check: { prompts, n: o.n, judge: o.judge, judge_id: judgeId(judge), rows } });
      process.stdout.write(JSON.stringify(rows, null, o.json ? undefined : 2) + "\n");
    });
}
