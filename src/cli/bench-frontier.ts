// `imagecot bench frontier`: GenEval's score against generator NFE per image, best-of-N and PARM
// at several N, from one recording of N paths per image (analysis: no generator pass is run).
import { Command, Option } from "commander";
import { FRONTIER_NS, computeFrontier, planFrontier } from "../eval/frontier.js";
import { readMetadataFile } from "../geneval/metadata.js";
import { TEST_SUITE_FILE } from "../shapes/train-prompts.js";
import { SHAPE_CLASSES } from "../shapes/world.js";
import { MAX_SURVIVORS } from "../strategies/parm-rule.js";
import { writeResult } from "../util/provenance.js";
import { judgeId } from "../judges/judge.js";
import { cliJudge } from "./judge.js";
import { pathsListOption, positiveIntOption, seedOption } from "./options.js";
import { cliPipeline } from "./pipeline.js";
import { progressBar } from "./progress.js";

interface FrontierOptions {
  record: string;
  judge: string;
  ns: number[];
  suite: string;
  seed: number;
  maxSurvivors: number;
  generator?: string;
  tokenizer?: string;
  json?: boolean;
  quiet?: boolean;
  out?: string;
}

const HELP = `
Reads DIR as 'imagecot eval --suite FILE --replay DIR --n 32' left it (one recording of 32 paths
per image, images per prompt as recorded) with the judge's verdicts cached there (asked and kept
where missing). For each N, paths 0..N-1 of every image are what a live run with N paths decodes:
best-of-N and PARM choose among them by the judge's verdicts and are charged the generator passes
(NFE, each CFG half counted) and judge calls they would spend live; the oracle is the detector
choosing a correct path when there is one. 'budget' says whether PARM is at or above best-of-N at
every NFE budget, and how curves are read between their points.

Exit codes: 0 measured, 1 failure (missing weights), 2 bad arguments or input (no recording, an N
above the recorded paths).

Example:
  imagecot bench frontier --record runs/record --judge fine-tuned --ns 1,2,4,8,16,32 --json --out results/frontier.json`;

export function addFrontierBench(bench: Command): void {
  bench
    .command("frontier")
    .description("overall score against NFE per image for best-of-N and PARM at several N, from one recording (eval --suite --replay), with the detector's oracle as the ceiling")
    .requiredOption("--record <dir>", "the recording folder of eval --suite --replay")
    .requiredOption("--judge <name>", "the verifier whose verdicts choose (cached in the recording)")
    .addOption(new Option("--ns <list>", "paths per image to score, comma-separated").default([...FRONTIER_NS], FRONTIER_NS.join(",")).argParser(pathsListOption))
    .addOption(new Option("--suite <file>", "the suite the recording was made for").default(TEST_SUITE_FILE, "suites/geneval-shapes.jsonl"))
    .addOption(new Option("--seed <n>", "the recording's eval --seed").default(0).argParser(seedOption))
    .addOption(new Option("--max-survivors <n>", "PARM's survivor budget: once this many paths pass, only the best of them go on (N or more: none)").default(MAX_SURVIVORS, `${MAX_SURVIVORS}, the shipped rule's`).argParser(positiveIntOption))
    .option("--generator <file>", "the recording's generator (default: the shipped model)")
    .option("--tokenizer <file>", "its tokenizer, which decodes the recorded tokens (default: the shipped model)")
    .option("--json", "print the frontier as one JSON line")
    .option("--quiet", "no progress bar")
    .option("--out <file>", "also write it with its provenance (e.g. results/frontier.json)")
    .addHelpText("after", HELP)
    .action(async (o: FrontierOptions) => {
      // the recording is checked before the models load: bad input fails at once
      const plan = planFrontier(o.record, readMetadataFile(o.suite, { classes: SHAPE_CLASSES }), o.seed, o.ns);
      const judge = cliJudge({ judge: o.judge });
      const pipeline = cliPipeline(o.generator, o.tokenizer);
      const bar = progressBar(plan.images.length, "bench frontier", !o.json && !o.quiet);
      let frontier;
      try {
        frontier = await computeFrontier(plan, { pipeline, judge, judgeName: o.judge, maxSurvivors: o.maxSurvivors, onProgress: (done) => bar.update(done) });
      } finally {
        bar.stop();
      }
      const result = { suite: o.suite, judge_id: judgeId(judge), ...frontier };
      if (o.out) writeResult(o.out, { frontier: result });
      process.stdout.write(JSON.stringify(result, null, o.json ? undefined : 2) + "\n");
    });
}
