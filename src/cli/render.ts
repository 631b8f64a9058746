// `imagecot render`: ground-truth images of a suite in GenEval's layout (`imagecot eval` reads them).
import { Command, Option } from "commander";
import { readMetadataFile } from "../geneval/metadata.js";
import { renderSuite } from "../shapes/ground-truth.js";
import { SHAPE_CLASSES } from "../shapes/world.js";
import { userInput } from "./geneval.js";
import { intOption, seedOption } from "./options.js";
import { progressBar } from "./progress.js";
import { UserError } from "./run.js";

interface RenderOptions {
  suite: string;
  imagesPerPrompt: number;
  out: string;
  seed: number;
  size: number;
  json?: boolean;
  quiet?: boolean;
}

export function registerRender(program: Command): void {
  program
    .command("render")
    .description("draw ground-truth images of a shapes suite, in GenEval's folder layout")
    .requiredOption("--suite <file>", "metadata JSONL over the shapes world, e.g. suites/geneval-shapes.jsonl")
    .addOption(new Option("--images-per-prompt <k>", "images per prompt").default(4).argParser(intOption))
    .requiredOption("--out <dir>", "output folder: DIR/00000/metadata.jsonl, DIR/00000/samples/0000.png, ...")
    .addOption(new Option("--seed <n>", "random seed of the layouts").default(0).argParser(seedOption))
    .addOption(new Option("--size <px>", "image side in pixels").default(64).argParser(intOption))
    .option("--json", "print what was written as one JSON object (no progress bar)")
    .option("--quiet", "no progress bar; print nothing on success")
    .addHelpText(
      "after",
      "\nExit codes: 0 written, 1 unreadable suite, 2 bad arguments.\n\nExample:\n  imagecot render --suite suites/geneval-shapes.jsonl --images-per-prompt 4 --out runs/gt --seed 0 && imagecot eval runs/gt",
    )
    .action((o: RenderOptions) => {
      if (o.imagesPerPrompt < 1) throw new UserError("--images-per-prompt must be at least 1");
      if (o.size < 32) throw new UserError("--size must be at least 32 pixels");
      const suite = userInput(() => readMetadataFile(o.suite, { classes: SHAPE_CLASSES }));
      const bar = progressBar(suite.length * o.imagesPerPrompt, "render", !o.json && !o.quiet);
      const n = (() => {
        try {
          return userInput(() => renderSuite(suite, o.out, { imagesPerPrompt: o.imagesPerPrompt, seed: o.seed, size: o.size, onProgress: (done) => bar.update(done) }));
        } finally {
          bar.stop();
        }
      })();
      if (o.json) process.stdout.write(JSON.stringify({ out: o.out, prompts: suite.length, images: n }) + "\n");
      else if (!o.quiet) process.stdout.write(`wrote ${n} images of ${suite.length} prompts to ${o.out}\n`);
    });
}
