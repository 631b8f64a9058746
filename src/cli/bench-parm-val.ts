// `imagecot bench parm-val`: PARM's clarity and potential thresholds and survivor budget against
// NFE and accuracy on held-out training prompts' paths (src/eval/parm-val.ts); never the test suite.
import { Command, Option } from "commander";
import { readCollected, splitCollected } from "../judges/collect.js";
import { parmValidation } from "../eval/parm-val.js";
import { DEFAULT_SAMPLE } from "../generator/sampler.js";
import { disposePipeline } from "../models/load.js";
import { DEFAULT_TOKENIZER } from "../models/paths.js";
import { CLEAR_AT, KEEP_FROM, MAX_SURVIVORS } from "../strategies/parm-rule.js";
import { writeResult } from "../util/provenance.js";
import { judgeId } from "../judges/judge.js";
import { cliJudge } from "./judge.js";
import { cfgOption, folderListOption, numberOption, positiveIntListOption, positiveListOption } from "./options.js";
import { cliPipeline } from "./pipeline.js";
import { progressBar } from "./progress.js";
import { UserError } from "./run.js";

interface ParmValCliOptions {
  data: string[];
  judge: string;
  clearAt: number[];
  keepFrom: number[];
  maxSurvivors: number[];
  maxNfeShare: number;
  cfg: number;
  tokenizer: string;
  cache?: string;
  json?: boolean;
  quiet?: boolean;
  out?: string;
}

export function addParmValBench(bench: Command): void {
  bench
    .command("parm-val")
    .description("PARM's clarity and potential thresholds and survivor budget on held-out training prompts' paths: accuracy and NFE of each, beside best-of-N (with a paired 95% interval of the difference, over prompts)")
    .addOption(new Option("--data <dirs>", "comma-separated folders from 'imagecot data paths' (their held-out tenth is read)").makeOptionMandatory().argParser(folderListOption))
    .option("--judge <name>", "the judge PARM asks", "fine-tuned")
    .addOption(new Option("--clear-at <list>", "clarity thresholds: a path is judged at its first step at or above one").default([CLEAR_AT], String(CLEAR_AT)).argParser(positiveListOption))
    .addOption(new Option("--keep-from <list>", "potential thresholds: a path is cut below one").default([0.5, 0.6, 0.7, 0.8, 0.9], "0.5,0.6,0.7,0.8,0.9").argParser(positiveListOption))
    .addOption(new Option("--max-survivors <list>", "survivor budgets: once this many paths pass, only the best of them go on (N or more: none)").default([MAX_SURVIVORS], String(MAX_SURVIVORS)).argParser(positiveIntListOption))
    .addOption(new Option("--max-nfe-share <x>", "the NFE a chosen threshold may spend, as a share of best-of-N's").default(0.6).argParser(numberOption))
    .addOption(new Option("--cfg <g>", "the guidance the paths were decoded with (NFE counts both halves unless it is 0)").default(DEFAULT_SAMPLE.cfg).argParser(cfgOption))
    .option("--tokenizer <file>", "VQ tokenizer weights (decodes the paths' tokens)", DEFAULT_TOKENIZER)
    .option("--cache <dir>", "keep the judge's answers here, one file per held-out prompt, so that a rerun with other thresholds asks nothing")
    .option("--json", "print the figures as one JSON line")
    .option("--quiet", "no progress bar")
    .option("--out <file>", "also write them with their provenance (e.g. results/parm-val.json)")
    .addHelpText("after", `\nThe shipped rule is ${CLEAR_AT} (clarity), ${KEEP_FROM} (potential) and ${MAX_SURVIVORS} survivors, in src/strategies/parm-rule.ts.\n\nExit codes: 0 measured, 1 failure, 2 bad arguments.\n\nExample:\n  imagecot bench parm-val --data runs/paths-v2 --judge fine-tuned --out results/parm-val.json`)
    .action(async (o: ParmValCliOptions) => {
      if ([...o.clearAt, ...o.keepFrom].some((t) => t > 1)) throw new UserError("--clear-at, --keep-from: thresholds are probabilities, at most 1");
      if (!(o.maxNfeShare > 0)) throw new UserError("--max-nfe-share must be above 0");
      const { heldOut } = splitCollected(readCollected(o.data));
      if (heldOut.length === 0) throw new UserError(`no held-out prompts in ${o.data.join(",")}`);
      const pipeline = cliPipeline(undefined, o.tokenizer);
      const judge = cliJudge({ judge: o.judge });
      const bar = progressBar(heldOut.length, "parm-val", !o.quiet && !o.json);
      try {
        const result = await parmValidation(pipeline, judge, heldOut, { clearAt: o.clearAt, keepFrom: o.keepFrom, maxSurvivors: o.maxSurvivors, maxNfeShare: o.maxNfeShare, cfg: o.cfg, cache: o.cache, onProgress: (d) => bar.update(d) });
        bar.stop();
        if (o.out) writeResult(o.out, { parm_val: { data: o.data.join(","), judge: o.judge, judge_id: judgeId(judge), ...result } });
        process.stdout.write(JSON.stringify(result, null, o.json ? undefined : 2) + "\n");
      } finally {
        bar.stop();
        disposePipeline(pipeline);
      }
    });
}
