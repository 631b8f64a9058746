// `imagecot generate PROMPT --out DIR`: decode N paths step by step and write every step's image.
import { join } from "node:path";
import { Command, Option } from "commander";
import { generate } from "../generator/pipeline.js";
import { DEFAULT_SAMPLE } from "../generator/sampler.js";
import { writePng } from "../shapes/image.js";
import { UnknownWordError } from "../tokenizer/text.js";
import { writeFileAtomic } from "../util/atomic.js";
import { cfgOption, intOption, pathsOption, seedOption, temperatureOption } from "./options.js";
import { progressBar } from "./progress.js";
import { UserError } from "./run.js";
import { cliPipeline } from "./pipeline.js";

interface GenerateCliOptions {
  out: string;
  n: number;
  steps: number;
  cfg: number;
  temperature: number;
  seed: number;
  generator?: string;
  tokenizer?: string;
  json?: boolean;
  quiet?: boolean;
}

/** Writes DIR/final.png (path 0), DIR/path-PP/step-SS.png and final.png per path, DIR/trace.json. */
export async function runGenerate(prompt: string, o: GenerateCliOptions) {
  const pipeline = cliPipeline(o.generator, o.tokenizer);
  const bar = progressBar(o.steps, "generate", !o.json && !o.quiet);
  const steps: { step: number; paths: { path: number; masked: number; file: string }[] }[] = [];
  let result;
  try {
    result = await generate(pipeline, prompt, {
      ...DEFAULT_SAMPLE,
      ...o,
      onStep: (results, images) => {
        const imgs = images();
        steps.push({
          step: results[0].step,
          paths: results.map((r, i) => {
            const file = join(`path-${String(r.path).padStart(2, "0")}`, `step-${String(r.step).padStart(2, "0")}.png`);
            writePng(join(o.out, file), imgs[i]);
            return { path: r.path, masked: r.masked, file };
          }),
        });
        bar.update(results[0].step + 1);
      },
    });
  } catch (e) {
    if (e instanceof UnknownWordError) throw new UserError(e.message, 2);
    throw e;
  } finally {
    bar.stop();
  }
  for (const p of result.paths) writePng(join(o.out, `path-${String(p.id).padStart(2, "0")}`, "final.png"), p.image);
  writePng(join(o.out, "final.png"), result.paths[0].image);
  const trace = {
    prompt,
    options: { n: o.n, steps: o.steps, cfg: o.cfg, temperature: o.temperature, seed: o.seed },
    nfe: result.nfe,
    paths: result.paths.map((p) => ({ id: p.id, seed: p.seed, tokens: Array.from(p.tokens) })),
    steps,
  };
  writeFileAtomic(join(o.out, "trace.json"), JSON.stringify(trace) + "\n");
  return { out: o.out, final: join(o.out, "final.png"), paths: result.paths.length, nfe: result.nfe };
}

export function registerGenerate(program: Command): void {
  program
    .command("generate")
    .description("generate an image step by step, writing every step's intermediate image")
    .argument("<prompt>", 'a prompt of the shapes world, e.g. "a photo of two red circles"')
    .requiredOption("--out <dir>", "output folder")
    .addOption(new Option("--n <paths>", "paths decoded together").default(1).argParser(pathsOption))
    .addOption(new Option("--steps <T>", "decoding steps").default(DEFAULT_SAMPLE.steps).argParser(intOption))
    .addOption(new Option("--cfg <g>", "classifier-free guidance scale").default(DEFAULT_SAMPLE.cfg).argParser(cfgOption))
    .addOption(new Option("--temperature <t>", "sampling temperature").default(DEFAULT_SAMPLE.temperature).argParser(temperatureOption))
    .addOption(new Option("--seed <n>", "random seed").default(0).argParser(seedOption))
    .option("--generator <file>", "generator weights (default: the shipped model)")
    .option("--tokenizer <file>", "tokenizer weights (default: the shipped model)")
    .option("--json", "print the result as JSON")
    .option("--quiet", "no progress bar")
    .addHelpText("after", '\nExit codes: 0 written, 1 failure (missing weights), 2 bad arguments (an unknown word, --n or --steps below 1).\n\nExample:\n  imagecot generate "a photo of two red circles" --out runs/two-red --n 4 --seed 1')
    .action(async (prompt: string, o: GenerateCliOptions) => {
      if (o.n < 1 || o.steps < 1) throw new UserError("--n and --steps must be at least 1");
      const r = await runGenerate(prompt, o);
      process.stdout.write(o.json ? JSON.stringify(r) + "\n" : `wrote ${r.final} and ${o.steps} steps of ${r.paths} path(s) to ${r.out}\n`);
    });
}
