// `imagecot train tokenizer|generator`: resumable training runs of the embedded models.
import { Command, Option } from "commander";
import { DEFAULT_GENERATOR } from "../generator/model.js";
import { type GeneratorBatch, trainGenerator } from "../generator/train.js";
import { buildTokenCache, cacheBatch } from "../generator/token-cache.js";
import { tokenizerId } from "../tokenizer/id.js";
import { join } from "node:path";
import { VOCAB } from "../tokenizer/text.js";
import { DEFAULT_TRAIN_VQ, trainVQ } from "../tokenizer/train-vq.js";
import { gridSize } from "../tokenizer/vq.js";
import { loadVQ } from "../models/load.js";
import { DEFAULT_GENERATOR_WEIGHTS, DEFAULT_TOKENIZER } from "../models/paths.js";
import { REASON_SOURCES } from "../align/self-correct.js";
import { EMBEDDED_JUDGES } from "../judges/embedded.js";
import type { LogEntry } from "../train/log.js";
import { folderListOption, intOption, numberOption, positiveIntListOption, seedOption } from "./options.js";
import { UserError } from "./run.js";
import { type ClassWeights, classWeightsKey, parseClassWeights } from "../shapes/train-prompts.js";
import { progressBar, progressCallback } from "./progress.js";
import { registerTrainDpo } from "./train-dpo.js";
import { type TrainCounterCliOptions, trainCounterCommand, trainJudgeCommand, type TrainJudgeCliOptions } from "./train-judge.js";
import { DEFAULT_REASON_JUDGE, trainSelfCorrectCommand, type TrainSelfCorrectCliOptions } from "./train-self-correct.js";

const printLog = (e: LogEntry) => process.stderr.write(JSON.stringify(e) + "\n");

/**
 * On a terminal, a progress bar with an ETA (updated at each logged step); elsewhere the JSON
 * log lines, for machines; --quiet: neither (the log is in RUN-DIR/log.jsonl either way).
 */
function trainProgress(steps: number, label: string, quiet = false): { onLog: (e: LogEntry) => void; stop: () => void } {
  if (quiet) return { onLog: () => {}, stop: () => {} };
  if (!process.stderr.isTTY) return { onLog: printLog, stop: () => {} };
  const bar = progressBar(steps, label);
  return { onLog: (e) => bar.update(e.step, `loss ${e.loss.toFixed(4)}`), stop: () => bar.stop() };
}

/** Runs a training action with its progress shown, stopping the bar however it ends. */
async function withProgress(steps: number, label: string, quiet: boolean | undefined, run: (onLog: (e: LogEntry) => void) => unknown): Promise<void> {
  const p = trainProgress(steps, label, quiet);
  try {
    await run(p.onLog);
  } finally {
    p.stop();
  }
}

export function registerTrain(program: Command): void {
  const train = program
    .command("train")
    .description("train the embedded models (resumable: rerun the same command after a kill)")
    .addHelpText(
      "after",
      "\nOn a terminal every command shows a progress bar with an ETA; otherwise it logs one JSON line per logging interval on\nstderr ({step, loss, lr, sec_per_step, ...}: machine-readable progress); --quiet shows neither. The lines always go to\nRUN-DIR/log.jsonl. Exit codes: 0 trained, 1 a failure, 2 bad arguments.",
    );

  train
    .command("tokenizer")
    .description("train the VQ image tokenizer on renders of training prompts")
    .option("--run-dir <dir>", "checkpoint and log folder", "runs/tokenizer")
    .option("--out <file>", "final weights", DEFAULT_TOKENIZER)
    .option("--results <file>", "summary of the finished run, with provenance", "results/train-tokenizer.json")
    .addOption(new Option("--steps <n>", "training steps").default(DEFAULT_TRAIN_VQ.steps).argParser(intOption))
    .addOption(new Option("--batch <n>", "images per step").default(DEFAULT_TRAIN_VQ.batch).argParser(intOption))
    .addOption(new Option("--lr <x>", "peak learning rate").default(DEFAULT_TRAIN_VQ.lr).argParser(numberOption))
    .option("--channels <list>", "conv widths per resolution", DEFAULT_TRAIN_VQ.config.channels.join(","))
    .addOption(new Option("--codes <n>", "learned codes (token ids: these plus the flat-background token)").default(DEFAULT_TRAIN_VQ.config.codes).argParser(intOption))
    .option("--init <file>", "start from these tokenizer weights (tensors of the same name and shape)")
    .addOption(new Option("--seed <n>", "seed of data and init").default(DEFAULT_TRAIN_VQ.seed).argParser(seedOption))
    .addOption(new Option("--stop-at <step>", "checkpoint and stop at this step; rerun to go on").argParser(intOption))
    .option("--quiet", "no progress bar and no log lines")
    .action((o: { runDir: string; out: string; steps: number; batch: number; lr: number; channels: string; codes: number; init?: string; seed: number; stopAt?: number; results: string; quiet?: boolean }) => {
      const channels = o.channels.split(",").map(Number);
      if (o.codes < 2) throw new UserError("--codes must be at least 2");
      return withProgress(o.steps, "train tokenizer", o.quiet, (onLog) =>
        trainVQ({
          ...DEFAULT_TRAIN_VQ,
          ...o,
          config: { ...DEFAULT_TRAIN_VQ.config, channels, codes: o.codes },
          onLog,
        }),
      );
    });

  train
    .command("generator")
    .description("train the masked-token generator on training prompts, tokenized by the VQ tokenizer")
    .option("--tokenizer <file>", "VQ tokenizer weights", DEFAULT_TOKENIZER)
    .option("--run-dir <dir>", "checkpoint and log folder", "runs/generator")
    .option("--out <file>", "final weights", DEFAULT_GENERATOR_WEIGHTS)
    .option("--results <file>", "summary of the finished run, with provenance", "results/train-generator.json")
    .addOption(new Option("--steps <n>", "training steps").default(8000).argParser(intOption))
    .addOption(new Option("--batch <n>", "images per step").default(64).argParser(intOption))
    .addOption(new Option("--lr <x>", "peak learning rate").default(1e-3).argParser(numberOption))
    .addOption(new Option("--d-model <n>", "width").default(DEFAULT_GENERATOR.dModel).argParser(intOption))
    .addOption(new Option("--layers <n>", "transformer blocks").default(DEFAULT_GENERATOR.layers).argParser(intOption))
    .addOption(new Option("--heads <n>", "attention heads").default(DEFAULT_GENERATOR.heads).argParser(intOption))
    .addOption(new Option("--seed <n>", "seed of data and init").default(1).argParser(seedOption))
    .addOption(new Option("--stop-at <step>", "checkpoint and stop at this step; rerun to go on").argParser(intOption))
    .addOption(new Option("--cache-rows <n>", "tokenized training renders to cache and draw from (0: render every step)").default(262_144).argParser(intOption))
    .option("--cache <file>", "the token cache (default RUN-DIR/tokens.safetensors; rebuilt identically from the seed if missing)")
    .option("--init <file>", "start from these generator weights (same shape), with a fresh optimiser: e.g. to anneal a checkpoint of a longer run")
    .option("--class-weights <list>", "train more on prompts naming these classes, e.g. star=2,diamond=2 (the others weigh 1; needs the token cache)")
    .option("--quiet", "no progress bar and no log lines")
    .action(async (o: { tokenizer: string; runDir: string; out: string; steps: number; batch: number; lr: number; dModel: number; layers: number; heads: number; seed: number; stopAt?: number; results: string; quiet?: boolean; cacheRows: number; cache?: string; init?: string; classWeights?: string }) => {
      let classWeights: ClassWeights | undefined;
      if (o.classWeights !== undefined) {
        if (o.cacheRows === 0) throw new UserError("--class-weights needs the token cache (--cache-rows above 0)");
        classWeights = parseClassWeights(o.classWeights); // its InputError: one line, exit 2
      }
      const weightsKey = classWeightsKey(classWeights);
      const vq = loadVQ(o.tokenizer);
      const grid = gridSize(vq.config);
      const condDropout = 0.1;
      let batches: ((step: number) => GeneratorBatch) | undefined;
      if (o.cacheRows > 0) {
        const bar = progressCallback("token cache", !o.quiet && process.stderr.isTTY);
        const cache = (() => {
          try {
            return buildTokenCache(vq, { path: o.cache ?? join(o.runDir, "tokens.safetensors"), rows: o.cacheRows, seed: o.seed, maxText: DEFAULT_GENERATOR.maxText, classWeights, onProgress: bar.onProgress });
          } finally {
            bar.stop();
          }
        })();
        batches = (step) => cacheBatch(cache, o.seed, step, o.batch, condDropout);
      }
      return withProgress(o.steps, "train generator", o.quiet, (onLog) => trainGenerator(
        {
          runDir: o.runDir,
          out: o.out,
          steps: o.steps,
          batch: o.batch,
          lr: o.lr,
          weightDecay: 0.05,
          seed: o.seed,
          stopAt: o.stopAt,
          results: o.results,
          condDropout,
          checkpointEvery: 200,
          logEvery: 50,
          config: {
            ...DEFAULT_GENERATOR,
            dModel: o.dModel,
            layers: o.layers,
            heads: o.heads,
            textVocab: VOCAB.length,
            codebookSize: vq.codebookSize,
            imageTokens: grid * grid,
            tokenizer: tokenizerId(vq),
          },
          batches,
          init: o.init,
          // recorded only when given (earlier runs have none); in the state always, so a run of other weights or none never resumes this one
          ...(weightsKey ? { recorded: { class_weights: weightsKey } } : {}),
          state: { class_weights: weightsKey || null },
          onLog,
        },
        vq,
      ));
    });

  train
    .command("judge")
    .description("train an embedded judge: zero-shot (clean renders only) or fine-tuned (the generator's own paths)")
    .addOption(new Option("--kind <kind>", "which judge").choices(["zero-shot", "fine-tuned"]).makeOptionMandatory())
    .addOption(new Option("--data <dirs>", "fine-tuned: comma-separated folders from 'imagecot data paths'").argParser(folderListOption))
    .option("--tokenizer <file>", "VQ tokenizer weights (decodes the paths' tokens)", DEFAULT_TOKENIZER)
    .option("--init <file>", "start from these judge weights (e.g. the zero-shot judge's, to fine-tune it); their architecture is kept")
    .option("--channels <list>", "conv widths, one stride-2 stage each: 3 stages see an 8x8 grid of patches, 2 a 16x16 one (default 32,64,128)")
    .addOption(new Option("--d-model <n>", "transformer width (default 128)").argParser(intOption))
    .addOption(new Option("--layers <n>", "transformer blocks (default 2)").argParser(intOption))
    .addOption(new Option("--answer <how>", "the outcome answer: the yes head (default), or a token per class whose reading (counts, colours, place) GenEval's rules judge").choices(["head", "rules"]))
    .addOption(new Option("--round-trip <share>", "zero-shot: share of training renders passed through the tokenizer").default(0.5).argParser(numberOption))
    .addOption(new Option("--reading-weight <w>", "weight of the readings of the prompt's own objects (count and colour of each) in the loss (default 0.5 for a head judge; 0 for a rules judge, whose class tokens are trained on every class)").argParser(numberOption))
    .addOption(new Option("--group <n>", "fine-tuned: paths of one prompt per ranking group").default(8).argParser(intOption))
    .addOption(new Option("--validate-every <n>", "score the held-out examples into the log every this many steps (a multiple of 50): when held-out ranking stops improving").argParser(intOption))
    .option("--run-dir <dir>", "checkpoint and log folder (default runs/judge-KIND)")
    .option("--out <file>", "final weights (default models/judge-KIND.safetensors)")
    .option("--results <file>", "summary with held-out accuracy (default results/train-judge-KIND.json)")
    .addOption(new Option("--steps <n>", "training steps").default(3000).argParser(intOption))
    .addOption(new Option("--batch <n>", "examples per step").default(64).argParser(intOption))
    .addOption(new Option("--lr <x>", "peak learning rate").default(5e-4).argParser(numberOption))
    .addOption(new Option("--seed <n>", "seed of data and init").default(1).argParser(seedOption))
    .addOption(new Option("--stop-at <step>", "checkpoint and stop at this step; rerun to go on").argParser(intOption))
    .addHelpText("after", "\nExamples:\n  imagecot train judge --kind zero-shot\n  imagecot train judge --kind fine-tuned --data runs/paths-11,runs/paths-12")
    .option("--quiet", "no progress bar and no log lines")
    .action((o: TrainJudgeCliOptions & { quiet?: boolean }) => withProgress(o.steps, `train judge (${o.kind})`, o.quiet, (onLog) => trainJudgeCommand(o, onLog)));

  train
    .command("judge-counter")
    .description("add a counting head to a rules judge (per patch and class, summed over the patches), trained on the collected paths' finals with the rest of the judge frozen: its answers stay (unless --answers), its reasons' counts change")
    .addOption(new Option("--data <dirs>", "comma-separated folders from 'imagecot data paths' (the judges' split: the held-out tenth scores it)").makeOptionMandatory().argParser(folderListOption))
    .option("--init <file>", "the rules judge it adds the head to", EMBEDDED_JUDGES["fine-tuned"])
    .option("--tokenizer <file>", "VQ tokenizer weights (decodes the paths' tokens)", DEFAULT_TOKENIZER)
    .addOption(new Option("--hidden <n>", "features per patch and class").default(32).argParser(intOption))
    .addOption(new Option("--from <where>", "what it reads: the patch tokens at the transformer's end (they have seen the prompt), the image tower's patches (local), or a conv tower of its own over the pixels, trained with it").choices(["tokens", "tower", "pixels"]).default("tokens"))
    .addOption(new Option("--channels <list>", "with --from pixels: its tower's widths, one stride-2 stage each, multiples of 8 (default: the judge's)").argParser(positiveIntListOption))
    .option("--answers", "the saved judge's rules answer reads the head's counts too, instead of the class tokens': its answers change (the summary scores the reasons and the ranking both ways)")
    .addOption(new Option("--samples <dirs>", "comma-separated ranking data folders ('imagecot data rank', a 'train dpo' round's data): their samples of training prompts join the finals, counted by the detector").argParser(folderListOption))
    .addOption(new Option("--rendered <n>", "this many rendered scenes of training prompts beside the finals, through the tokenizer, each counted exactly (more scenes than the finals hold)").default(0).argParser(intOption))
    .option("--run-dir <dir>", "checkpoint and log folder", "runs/judge-counter")
    .option("--out <file>", "the judge with its counting head", "runs/judge-counter/judge.safetensors")
    .option("--results <file>", "summary with the held-out count readings and reasons", "results/train-judge-counter.json")
    .addOption(new Option("--steps <n>", "training steps").default(2000).argParser(intOption))
    .addOption(new Option("--batch <n>", "finals per step").default(128).argParser(intOption))
    .addOption(new Option("--lr <x>", "peak learning rate").default(1e-3).argParser(numberOption))
    .addOption(new Option("--seed <n>", "seed of data and init").default(1).argParser(seedOption))
    .addOption(new Option("--stop-at <step>", "checkpoint and stop at this step; rerun to go on").argParser(intOption))
    .option("--quiet", "no progress bar and no log lines")
    .addHelpText("after", "\nExample:\n  imagecot train judge-counter --data runs/paths-v2 --from tower --out runs/judge-counter/judge.safetensors")
    .action((o: TrainCounterCliOptions & { quiet?: boolean }) => withProgress(o.steps, "train judge-counter", o.quiet, (onLog) => trainCounterCommand(o, onLog)));

  train
    .command("self-correct")
    .description("fine-tune the generator to regenerate from (prompt, previous image, reason): PARM++'s self-correction")
    .addOption(new Option("--data <dirs>", "comma-separated folders from 'imagecot data paths'").makeOptionMandatory().argParser(folderListOption))
    .addOption(
      new Option("--reasons <source>", "the reason of each wrong image: the reflecting judge's (what PARM++ feeds at inference), the detector's, or none (the no-reason ablation's model)")
        .choices([...REASON_SOURCES])
        .default("judge"),
    )
    .option("--judge <name>", `with --reasons judge: the reflecting judge (default ${DEFAULT_REASON_JUDGE})`)
    .option("--init <file>", "generator weights to start from", DEFAULT_GENERATOR_WEIGHTS)
    .option("--tokenizer <file>", "VQ tokenizer weights", DEFAULT_TOKENIZER)
    .option("--run-dir <dir>", "checkpoint and log folder (default runs/self-correct, with --reasons none runs/self-correct-no-reason)")
    .option("--out <file>", "final weights (default models/generator-sc.safetensors, with --reasons none models/generator-sc-no-reason.safetensors)")
    .option("--results <file>", "summary of the finished run, with provenance (default results/train-self-correct.json, with --reasons none results/train-self-correct-no-reason.json)")
    .addOption(new Option("--steps <n>", "training steps (even ones correct, odd ones generate)").default(800).argParser(intOption))
    .addOption(new Option("--batch <n>", "rows per step").default(48).argParser(intOption))
    .addOption(new Option("--lr <x>", "peak learning rate").default(3e-4).argParser(numberOption))
    .addOption(new Option("--seed <n>", "seed of data and masks").default(1).argParser(seedOption))
    .addOption(new Option("--stop-at <step>", "checkpoint and stop at this step; rerun to go on").argParser(intOption))
    .addHelpText("after", "\nExamples:\n  imagecot train self-correct --data runs/paths-v2                   # the fine-tuned judge's reasons: models/generator-sc.safetensors\n  imagecot train self-correct --data runs/paths-v2 --reasons none    # the ablation's: models/generator-sc-no-reason.safetensors")
    .option("--quiet", "no progress bar and no log lines")
    .action((o: TrainSelfCorrectCliOptions & { quiet?: boolean }) => withProgress(o.steps, "train self-correct", o.quiet, (onLog) => trainSelfCorrectCommand(o, onLog)));

  registerTrainDpo(train, printLog);
}
