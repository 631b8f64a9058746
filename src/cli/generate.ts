// `imagecot generate PROMPT --out DIR`: decode N paths step by step and write every step's image;
// with --strategy (and --judge), write the image the strategy chose and its trace.
import { join } from "node:path";
import { Command, Option } from "commander";
import { generatePaths } from "../generator/generate.js";
import { DEFAULT_SAMPLE } from "../generator/sampler.js";
import type { StepGenerator } from "../generator/step-generator.js";
import { writePng } from "../shapes/image.js";
import { writeFileAtomic } from "../util/atomic.js";
import { cfgOption, intOption, pathsOption, seedOption, temperatureOption } from "./options.js";
import { progressBar } from "./progress.js";
import { UserError } from "./run.js";
import { GENERATOR_URL_HELP, type GeneratorFlags, cliGenerator } from "./pipeline.js";
import { cliJudge } from "./judge.js";
import { JUDGES } from "../judges/registry.js";
import { STRATEGIES } from "../strategies/index.js";
import { runStrategy } from "../strategies/run.js";

interface GenerateCliOptions extends GeneratorFlags {
  out: string;
  n: number;
  steps: number;
  cfg: number;
  temperature: number;
  seed: number;
  strategy: string;
  judge?: string;
  baseUrl?: string;
  model?: string;
  json?: boolean;
  quiet?: boolean;
}

/**
 * --strategy: DIR/final.png (the chosen image) and DIR/trace.json (the strategy's trace, its
 * cost, and every event of the generation without its images).
 */
async function runChosen(prompt: string, o: GenerateCliOptions) {
  const strategy = STRATEGIES[o.strategy];
  if (!strategy) throw new UserError(`unknown strategy '${o.strategy}': valid strategies are ${Object.keys(STRATEGIES).join(", ")}`);
  const judge = o.judge ? cliJudge({ judge: o.judge, baseUrl: o.baseUrl, model: o.model }) : undefined;
  if (strategy.name !== "none" && !judge) throw new UserError(`--strategy ${o.strategy} needs --judge`);
  const generator = await cliGenerator(o);
  const events: unknown[] = [];
  const [r] = await runStrategy(generator, prompt, {
    strategy: o.strategy,
    judge,
    n: o.n,
    seeds: [o.seed],
    sample: { steps: o.steps, cfg: o.cfg, temperature: o.temperature },
    onEvent: (e) => void events.push("image" in e ? { ...e, image: undefined } : e.type === "step" ? { ...e, paths: e.paths.map(({ image: _, ...p }) => p) } : e),
  });
  writePng(join(o.out, "final.png"), r.image);
  const trace = { prompt, strategy: o.strategy, judge: o.judge ?? null, generator: generator.name, options: { n: o.n, steps: o.steps, cfg: o.cfg, temperature: o.temperature, seed: o.seed }, nfe: r.nfe, judge_calls: r.judgeCalls, trace: r.trace, events };
  writeFileAtomic(join(o.out, "trace.json"), JSON.stringify(trace) + "\n");
  return { out: o.out, final: join(o.out, "final.png"), strategy: o.strategy, nfe: r.nfe, judge_calls: r.judgeCalls };
}

/** Writes DIR/final.png (path 0), DIR/path-PP/step-SS.png and final.png per path, DIR/trace.json. */
export async function runGenerate(prompt: string, o: GenerateCliOptions) {
  const generator: StepGenerator = await cliGenerator(o);
  const bar = progressBar(o.steps, "generate", !o.json && !o.quiet);
  const steps: { step: number; paths: { path: number; masked: number; file: string }[] }[] = [];
  let result;
  try {
    result = await generatePaths(generator, prompt, {
      ...DEFAULT_SAMPLE,
      ...o,
      onStep: async (results, images) => {
        const imgs = await images();
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
  } finally {
    bar.stop();
  }
  for (const p of result.paths) writePng(join(o.out, `path-${String(p.id).padStart(2, "0")}`, "final.png"), p.image);
  writePng(join(o.out, "final.png"), result.paths[0].image);
  const trace = {
    prompt,
    generator: generator.name,
    options: { n: o.n, steps: o.steps, cfg: o.cfg, temperature: o.temperature, seed: o.seed },
    nfe: result.nfe,
    // a step server that sends no tokens leaves them out
    paths: result.paths.map((p) => ({ id: p.id, seed: p.seed, ...(p.tokens ? { tokens: Array.from(p.tokens) } : {}) })),
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
    .option("--generator-url <url>", GENERATOR_URL_HELP)
    .addOption(new Option("--strategy <name>", `how the image is chosen: ${Object.keys(STRATEGIES).join(", ")}; other than none, writes the chosen image and its trace`).default("none"))
    .option("--judge <name>", `the verifier of a judging strategy: ${Object.keys(JUDGES).join(", ")}`)
    .option("--base-url <url>", "with --judge openai: the OpenAI-compatible API root")
    .option("--model <name>", "with --judge openai: the model name")
    .option("--json", "print the result as JSON")
    .option("--quiet", "no progress bar")
    .addHelpText(
      "after",
      '\nExit codes: 0 written, 1 failure (missing weights, a step server that fails or is not there), 2 bad arguments (an unknown word, --n or --steps below 1).\n\nExamples:\n  imagecot generate "a photo of two red circles" --out runs/two-red --n 4 --seed 1\n  imagecot generate "a photo of two red circles" --out runs/remote --strategy parm --judge fine-tuned --n 8 --generator-url http://127.0.0.1:9000',
    )
    .action(async (prompt: string, o: GenerateCliOptions) => {
      if (o.n < 1 || o.steps < 1) throw new UserError("--n and --steps must be at least 1");
      if (o.strategy !== "none" || o.judge) {
        const r = await runChosen(prompt, o);
        process.stdout.write(o.json ? JSON.stringify(r) + "\n" : `wrote ${r.final} (chosen by ${r.strategy}, ${r.nfe} NFE, ${r.judge_calls} judge calls) and its trace to ${r.out}\n`);
        return;
      }
      const r = await runGenerate(prompt, o);
      process.stdout.write(o.json ? JSON.stringify(r) + "\n" : `wrote ${r.final} and ${o.steps} steps of ${r.paths} path(s) to ${r.out}\n`);
    });
}
