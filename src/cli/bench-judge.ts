// `imagecot bench judge`: a judge file's held-out figures on collected paths (accuracy per
// question, ranking of a prompt's paths, calibration of the outcome answer), on the examples
// `train judge --kind fine-tuned` scores its summary on: judges trained apart are compared alike.
import { existsSync } from "node:fs";
import { Command, Option } from "commander";
import { heldOutPathExamples } from "../judges/examples.js";
import { EMBEDDED_JUDGES, loadJudgeNet } from "../judges/embedded.js";
import { scoreHeldOut } from "../judges/train.js";
import { loadVQ } from "../models/load.js";
import { DEFAULT_TOKENIZER } from "../models/paths.js";
import { fileHash } from "../util/file-hash.js";
import { writeResult } from "../util/provenance.js";
import { folderListOption, seedOption } from "./options.js";
import { UserError } from "./run.js";
import { readJudgePaths } from "./train-judge.js";

interface JudgeBenchOptions {
  data: string[];
  weights: string;
  seed: number;
  tokenizer: string;
  json?: boolean;
  out?: string;
}

export function addJudgeBench(bench: Command): void {
  bench
    .command("judge")
    .description("a judge's held-out figures on collected paths: accuracy per question, ranking of a prompt's paths, calibration (the training summary's)")
    .addOption(new Option("--data <dirs>", "comma-separated folders from 'imagecot data paths' (their held-out tenth is scored)").makeOptionMandatory().argParser(folderListOption))
    .option("--weights <file>", "judge weights", EMBEDDED_JUDGES["fine-tuned"])
    .addOption(new Option("--seed <n>", "seed of the held-out examples (the training's --seed gives its summary's)").default(1).argParser(seedOption))
    .option("--tokenizer <file>", "VQ tokenizer weights (decodes the paths' tokens)", DEFAULT_TOKENIZER)
    .option("--json", "print the figures as one JSON line")
    .option("--out <file>", "also write them with their provenance (e.g. results/judge-held-out.json)")
    .addHelpText("after", "\nExit codes: 0 measured, 1 failure, 2 bad arguments.\n\nExample:\n  imagecot bench judge --data runs/paths-v2 --out results/judge-held-out.json")
    .action((o: JudgeBenchOptions) => {
      if (!existsSync(o.weights)) throw new UserError(`no judge weights at ${o.weights}`);
      const { held, T } = readJudgePaths(o.data);
      const { net, kind } = loadJudgeNet(o.weights);
      try {
        // a zero-shot judge asks every question as the outcome question about the image it is shown
        const held_out = scoreHeldOut(net, heldOutPathExamples(held, o.seed, T), loadVQ(o.tokenizer), kind === "zero-shot");
        const result = { data: o.data.join(","), weights: o.weights, weights_hash: fileHash(o.weights), kind, seed: o.seed, held_out_prompts: held.length, held_out };
        if (o.out) writeResult(o.out, { judge: result });
        process.stdout.write(JSON.stringify(result, null, o.json ? undefined : 2) + "\n");
      } finally {
        net.dispose();
      }
    });
}
