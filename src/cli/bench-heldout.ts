// `imagecot bench heldout`: the detector's yes rate of a generator on held-out training prompts
// (never the test suite): what model sizes, training length and hyper-parameters are chosen on.
import { Command, Option } from "commander";
import { writeResult } from "../util/provenance.js";
import { heldOutLoss, heldOutYesRate } from "../eval/heldout.js";
import type { PromptSplit } from "../shapes/train-prompts.js";
import { DEFAULT_MAX_ROWS, DEFAULT_SAMPLE } from "../generator/sampler.js";
import { progressCallback } from "./progress.js";
import { cfgOption, flatPenaltyOption, intOption, numberOption, seedOption, temperatureOption } from "./options.js";
import { UserError } from "./run.js";
import { cliPipeline } from "./pipeline.js";

export function addHeldOutBench(bench: Command): void {
  bench
    .command("heldout")
    .description("detector yes rate of a generator on held-out training prompts (never a test prompt)")
    .option("--json", "print the figures as one JSON line")
    .option("--quiet", "no progress bar")
    .option("--out <file>", "also write the figures with their provenance")
    .option("--generator <file>", "generator weights (default: the shipped model)")
    .option("--tokenizer <file>", "tokenizer weights (default: the shipped model)")
    .addOption(new Option("--split <name>", "heldout: prompt strings no training loop sees; train: trained ones").choices(["heldout", "train"]).default("heldout"))
    .addOption(new Option("--prompts <n>", "prompts drawn for the yes rate").default(200).argParser(intOption))
    .addOption(new Option("--loss-prompts <n>", "renders of the split's prompts for the masked-token loss (0: none)").default(512).argParser(intOption))
    .addOption(new Option("--images <n>", "images per prompt").default(2).argParser(intOption))
    .addOption(new Option("--seed <n>", "seed of the prompt draw and the paths").default(0).argParser(seedOption))
    .addOption(new Option("--temperature <x>", "sampling temperature").default(DEFAULT_SAMPLE.temperature).argParser(temperatureOption))
    .addOption(new Option("--cfg <g>", "classifier-free guidance scale").default(DEFAULT_SAMPLE.cfg).argParser(cfgOption))
    .addOption(new Option("--confidence-temperature <x>", "Gumbel noise on the re-masking confidences").default(DEFAULT_SAMPLE.confidenceTemperature).argParser(numberOption))
    .addOption(new Option("--steps <n>", "decoding steps").default(DEFAULT_SAMPLE.steps).argParser(intOption))
    .addOption(new Option("--max-rows <n>", "sequences per forward pass at most").default(DEFAULT_MAX_ROWS).argParser(intOption))
    .addOption(flatPenaltyOption())
    .addHelpText("after", "\nExit codes: 0 measured, 1 failure (missing weights), 2 bad arguments.\n\nExample:\n  imagecot bench heldout --generator runs/probe-s/generator.safetensors --prompts 200 --json")
    .action(async (o: { json?: boolean; quiet?: boolean; out?: string; generator?: string; tokenizer?: string; split: PromptSplit; prompts: number; lossPrompts: number; images: number; seed: number; temperature: number; cfg: number; confidenceTemperature: number; steps: number; maxRows: number; flatPenalty: number }) => {
      if (o.prompts < 1 || o.images < 1 || o.maxRows < 1 || o.steps < 1) throw new UserError("--prompts, --images, --max-rows and --steps must be at least 1");
      if (!(o.confidenceTemperature >= 0)) throw new UserError("--confidence-temperature must be at least 0");
      const pipeline = cliPipeline(o.generator, o.tokenizer);
      const bar = progressCallback("bench heldout", !o.json && !o.quiet);
      let result;
      try {
        const rate = await heldOutYesRate(pipeline, { ...o, sample: { steps: o.steps, cfg: o.cfg, temperature: o.temperature, confidenceTemperature: o.confidenceTemperature, flatPenalty: o.flatPenalty }, onProgress: bar.onProgress });
        result = o.lossPrompts > 0 ? { ...rate, masked_token_loss: heldOutLoss(pipeline, o.lossPrompts, o.seed, o.split), loss_prompts: o.lossPrompts } : rate;
      } finally {
        bar.stop();
      }
      result = { ...result, sample: { steps: o.steps, temperature: o.temperature, cfg: o.cfg, confidence_temperature: o.confidenceTemperature, flat_penalty: o.flatPenalty } };
      if (o.out) writeResult(o.out, { heldout: { generator: o.generator ?? "shipped", ...result } });
      process.stdout.write(JSON.stringify(result, null, o.json ? undefined : 2) + "\n");
    });
}
