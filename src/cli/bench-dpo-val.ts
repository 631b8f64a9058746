// `imagecot bench dpo-val`: DPO's lr, epochs and beta chosen on held-out training prompts.
import { existsSync } from "node:fs";
import { Command, Option } from "commander";
import { DPO_DEFAULTS } from "../align/dpo.js";
import { readDataPairs } from "../align/rank.js";
import { dpoValidation } from "../eval/dpo-val.js";
import { DEFAULT_SAMPLE } from "../generator/sampler.js";
import { DEFAULT_GENERATOR_WEIGHTS, DEFAULT_TOKENIZER } from "../models/paths.js";
import { writeResult } from "../util/provenance.js";
import { folderListOption, intOption, nonNegativeListOption, positiveIntListOption, positiveListOption, seedOption, shareListOption } from "./options.js";
import { pairsKindOf } from "./pairs-kind.js";
import { UserError } from "./run.js";

export function addDpoValBench(bench: Command): void {
  bench
    .command("dpo-val")
    .description("train one DPO round per (lr, epochs, beta, nll weight, guidance, unconditional anchor) on the same pairs and score each on held-out training prompts (never a test prompt)")
    .addOption(new Option("--data <dirs>", "ranking data from 'imagecot data rank' (several folders separated by commas: their pairs together, the data-scale lever)").makeOptionMandatory().argParser(folderListOption))
    .option("--reward-guided", "train on the judge-chosen, weighted pairs (pairs-guided.jsonl)")
    .option("--self-play", "train on the self-play pairs, each \"no\" sample against a render (pairs-render.jsonl, from 'data rank --render-pairs')")
    .option("--trajectory", "every candidate reads each image at a random step of its own sampling trajectory (trajectory DPO; the rankings must have kept the orders)")
    .option("--generator <file>", "the start (policy and reference)", DEFAULT_GENERATOR_WEIGHTS)
    .option("--tokenizer <file>", "VQ tokenizer weights", DEFAULT_TOKENIZER)
    .option("--run-dir <dir>", "every candidate's checkpoints, weights and held-out score (rerun to resume; a kept score stands for its candidate)", "runs/dpo-val")
    .addOption(new Option("--lr <list>", "learning rates").default([DPO_DEFAULTS.lr], String(DPO_DEFAULTS.lr)).argParser(positiveListOption))
    .addOption(new Option("--epochs <list>", "passes over the pairs").default([DPO_DEFAULTS.epochs], String(DPO_DEFAULTS.epochs)).argParser(positiveListOption))
    .addOption(new Option("--beta <list>", "DPO betas").default([DPO_DEFAULTS.beta], String(DPO_DEFAULTS.beta)).argParser(positiveListOption))
    .addOption(
      new Option("--nll-weight <list>", "weights of the chosen images' masked-token loss beside DPO's (RPO; 0: plain DPO)")
        .default([DPO_DEFAULTS.nllWeight], String(DPO_DEFAULTS.nllWeight))
        .argParser(nonNegativeListOption),
    )
    .addOption(
      new Option("--cfg <list>", "guidances of DPO's log-probabilities (0: the conditional logits; g: the sampler's guided ones)")
        .default([DPO_DEFAULTS.cfg], String(DPO_DEFAULTS.cfg))
        .argParser(nonNegativeListOption),
    )
    .addOption(
      new Option("--uncond-anchor <list>", "weights of the term holding the unconditional half to the reference's (0: none)")
        .default([DPO_DEFAULTS.uncondAnchor], String(DPO_DEFAULTS.uncondAnchor))
        .argParser(nonNegativeListOption),
    )
    .addOption(
      new Option("--masks <list>", "masks per pair and step, each image's log-likelihood their mean (1: one a step)")
        .default([DPO_DEFAULTS.masks], String(DPO_DEFAULTS.masks))
        .argParser(positiveIntListOption),
    )
    .addOption(
      new Option("--min-mask-ratio <list>", "the least share of positions each DPO mask hides (0: the training schedule; the sampler's first steps read nearly all-masked rows)")
        .default([DPO_DEFAULTS.minMaskRatio], String(DPO_DEFAULTS.minMaskRatio))
        .argParser(shareListOption),
    )
    .addOption(new Option("--batch <n>", "pairs per step").default(DPO_DEFAULTS.batch).argParser(intOption))
    .addOption(new Option("--prompts <n>", "held-out prompts for each yes rate").default(400).argParser(intOption))
    .addOption(new Option("--images <n>", "images per held-out prompt").default(2).argParser(intOption))
    .addOption(new Option("--seed <n>", "seed of the DPO runs and the held-out draw").default(1).argParser(seedOption))
    .option("--json", "print the figures as one JSON line")
    .option("--quiet", "no stage lines")
    .option("--out <file>", "also write them with their provenance (e.g. results/dpo-val.json)")
    .addHelpText("after", "\nExit codes: 0 measured, 1 failure, 2 bad arguments.\n\nExamples:\n  imagecot bench dpo-val --data runs/rank-1 --lr 5e-5,1e-4,2e-4 --epochs 1,2 --beta 0.1 --out results/dpo-val.json\n  imagecot bench dpo-val --data runs/rank-1,runs/rank-2 --lr 1e-4 --uncond-anchor 30 --out results/dpo-val-scale.json   # two rankings' pairs\n  imagecot bench dpo-val --data runs/rank-1-orders --trajectory --lr 1e-4,2e-4 --uncond-anchor 30 --run-dir runs/dpo-val-traj --out results/dpo-val-trajectory.json")
    .action(async (o: { data: string[]; rewardGuided?: boolean; selfPlay?: boolean; trajectory?: boolean; generator: string; tokenizer: string; runDir: string; lr: number[]; epochs: number[]; beta: number[]; nllWeight: number[]; cfg: number[]; uncondAnchor: number[]; masks: number[]; minMaskRatio: number[]; batch: number; prompts: number; images: number; seed: number; json?: boolean; quiet?: boolean; out?: string }) => {
      if (o.batch < 1 || o.prompts < 1 || o.images < 1) throw new UserError("--batch, --prompts and --images must be at least 1");
      const kind = pairsKindOf(o);
      for (const [flag, f] of [["--generator", o.generator], ["--tokenizer", o.tokenizer]]) if (!existsSync(f)) throw new UserError(`${flag}: no weights at ${f}`);
      const pairs = o.data.flatMap((dir) => {
        let read;
        try {
          read = readDataPairs(dir, kind);
        } catch (e) {
          throw new UserError(`cannot read the pairs of ${dir}: ${(e as Error).message}`);
        }
        if (read.length === 0) throw new UserError(`${dir} holds no pairs`);
        if (o.trajectory && read.some((p) => !p.chosen_order || !p.rejected_order))
          throw new UserError(`--trajectory: the pairs of ${dir} carry no sampling orders (ranked before they were kept); rank into a new --out folder with 'imagecot data rank'`);
        return read;
      });
      const result = await dpoValidation({
        runDir: o.runDir,
        generator: o.generator,
        tokenizer: o.tokenizer,
        pairs,
        weighted: !!o.rewardGuided,
        trajectory: !!o.trajectory,
        grid: { lr: o.lr, epochs: o.epochs, beta: o.beta, nllWeight: o.nllWeight, cfg: o.cfg, uncondAnchor: o.uncondAnchor, masks: o.masks, minMaskRatio: o.minMaskRatio },
        batch: o.batch,
        seed: o.seed,
        heldout: { prompts: o.prompts, images: o.images, seed: o.seed, sample: DEFAULT_SAMPLE },
        onStage: (m) => void (o.quiet || o.json ? undefined : process.stderr.write(m + "\n")),
      });
      if (o.out) writeResult(o.out, { dpo_val: { data: o.data.join(","), reward_guided: !!o.rewardGuided, self_play: !!o.selfPlay, ...result } });
      process.stdout.write(JSON.stringify(result, null, o.json ? undefined : 2) + "\n");
    });
}
