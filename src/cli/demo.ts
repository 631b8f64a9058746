// `imagecot demo`: PARM++ with the fine-tuned judge on a few prompts, written as images, traces
// and one HTML report that shows every round: what the judge cut, what it said was wrong, and
// what the regeneration made of it.
import { join } from "node:path";
import { Command, Option } from "commander";
import { evaluateImage } from "../geneval/rules.js";
import type { PromptMeta } from "../geneval/types.js";
import { EmbeddedStepGenerator, stepGenerator } from "../generator/embedded-steps.js";
import type { Pipeline } from "../generator/pipeline.js";
import { DEFAULT_SAMPLE } from "../generator/sampler.js";
import { collectionPrompts } from "../judges/collect.js";
import type { Judge } from "../judges/judge.js";
import { parsePrompt } from "../geneval/observe.js";
import { type DemoPrompt, type DemoReportInput, type DemoRound, demoHtml } from "../report/demo.js";
import type { ParmPath } from "../report/samples.js";
import { detect } from "../shapes/detector.js";
import { encodePng } from "../shapes/image.js";
import type { StrategyEvent } from "../strategies/events.js";
import { strategyByName } from "../strategies/index.js";
import { MAX_ROUNDS } from "../strategies/parm-plus.js";
import { UnknownWordError, encodeText } from "../tokenizer/text.js";
import { writeFileAtomic } from "../util/atomic.js";
import { cliJudge } from "./judge.js";
import { JUDGES, UnknownJudgeError } from "../judges/registry.js";
import { intOption, pathsOption, seedOption } from "./options.js";
import { progressBar } from "./progress.js";
import { UserError } from "./run.js";
import type { StepGenerator } from "../generator/step-generator.js";
import { GENERATOR_URL_HELP, type GeneratorFlags, cliGenerator } from "./pipeline.js";

const STRATEGY = "parm++";

/** A prompt to run, with its metadata when known (then the detector scores the chosen image). */
export interface DemoPromptSpec {
  prompt: string;
  meta: PromptMeta | null;
}

export interface DemoRunOptions {
  out: string;
  prompts: readonly DemoPromptSpec[];
  n: number;
  steps: number;
  seed: number;
  /** the judge's name, for the report and traces */
  judgeName: string;
  date?: string;
  /** after every decoding step (of any round) and every finished prompt */
  onProgress?: (p: DemoProgress) => void;
}

export interface DemoProgress {
  /** 0-based prompt index, of `prompts` */
  prompt: number;
  prompts: number;
  /** the PARM++ round (0 = before any correction) and the decoding step just done (0-based), of `steps` */
  round: number;
  step: number;
  steps: number;
  /** true once the prompt is finished and written */
  done: boolean;
}

export interface DemoPromptOutput {
  prompt: string;
  image: string;
  trace: string;
  round_images: string[];
  rounds: number;
  nfe: number;
  judge_calls: number;
  seconds: number;
  /** the last reflection's P(yes) and reason (null when the round limit ended the loop first) */
  reflection: { pYes: number; reason: string | null } | null;
  detector: { correct: boolean; reasons: string[] } | null;
}

/** What the demo wrote: the report's settings (less its date), where it went, and per prompt the files and costs. */
export type DemoOutput = Omit<DemoReportInput, "date" | "prompts"> & { out: string; report: string; prompts: DemoPromptOutput[] };

interface RoundRecord {
  pathSteps: number;
  judgeCalls: number;
  png: Uint8Array | null;
  reflection: { pYes: number; reason: string | null } | null;
}

/** Reads a PARM++ run's events into rounds: path-steps decoded, judge calls, chosen image, reflection. */
function recorder(onStep: (round: number, step: number) => void) {
  const rounds: RoundRecord[] = [];
  const sink = (e: StrategyEvent): void => {
    if (e.type === "begin") {
      rounds.push({ pathSteps: 0, judgeCalls: 0, png: null, reflection: null });
      return;
    }
    const r = rounds[rounds.length - 1];
    if (e.type === "step") {
      r.pathSteps += e.paths.length;
      onStep(rounds.length - 1, e.step);
    } else if (e.type === "verdicts") r.judgeCalls += e.verdicts.length;
    else if (e.type === "chosen") r.png = Buffer.from(e.image, "base64");
    else if (e.type === "reflection") {
      r.judgeCalls++;
      r.reflection = { pYes: e.pYes, reason: e.reason };
    }
  };
  return { rounds, sink };
}

interface TraceRound {
  round: number;
  reason?: string;
  paths: ParmPath[];
  chosen: number;
  via: string;
}

const pad = (i: number) => String(i).padStart(2, "0");

/**
 * Runs PARM++ on each prompt and writes OUT/NN/chosen.png, OUT/NN/round-R.png (each round's
 * chosen image), OUT/NN/trace.json and the report OUT/index.html. Prompt i is seeded seed + i.
 */
export async function runDemo(models: Pipeline | StepGenerator, judge: Judge, o: DemoRunOptions): Promise<DemoOutput> {
  const generator = stepGenerator(models);
  const strategy = strategyByName(STRATEGY);
  const started = Date.now();
  const sample = { ...DEFAULT_SAMPLE, steps: o.steps };
  const total = o.prompts.length;
  const shown: DemoPrompt[] = [];
  const outputs: DemoPromptOutput[] = [];
  for (const [i, spec] of o.prompts.entries()) {
    const t0 = Date.now();
    const rec = recorder((round, step) => o.onProgress?.({ prompt: i, prompts: total, round, step, steps: o.steps, done: false }));
    const [r] = await strategy.run({ generator, judge, n: o.n, sample, onEvent: rec.sink }, spec.prompt, [o.seed + i]);
    const traced = r.trace.rounds as TraceRound[];
    if (traced.length !== rec.rounds.length || rec.rounds.some((x) => x.png === null)) {
      throw new Error(`the ${STRATEGY} trace and its events disagree: ${traced.length} rounds traced, ${rec.rounds.length} begun, ${rec.rounds.filter((x) => x.png).length} with a chosen image`);
    }
    // every path-step costs the same forward passes, so a round's NFE is its share of path-steps
    const pathSteps = rec.rounds.reduce((a, x) => a + x.pathSteps, 0);
    const rounds: DemoRound[] = traced.map((t, k) => ({
      round: t.round,
      png: rec.rounds[k].png!,
      paths: t.paths,
      chosen: t.chosen,
      via: t.via,
      ...(t.reason !== undefined ? { reason: t.reason } : {}),
      reflection: rec.rounds[k].reflection,
      nfe: Math.round((r.nfe * rec.rounds[k].pathSteps) / pathSteps),
      judgeCalls: rec.rounds[k].judgeCalls,
    }));
    const detector = spec.meta ? evaluateImage(spec.meta, detect(r.image)) : null;
    const seconds = (Date.now() - t0) / 1000;
    const dir = pad(i);
    const png = encodePng(r.image);
    const files = { image: join(dir, "chosen.png"), trace: join(dir, "trace.json"), rounds: rounds.map((x) => join(dir, `round-${x.round}.png`)) };
    writeFileAtomic(join(o.out, files.image), png);
    rounds.forEach((x, k) => writeFileAtomic(join(o.out, files.rounds[k]), x.png));
    const trace = {
      prompt: spec.prompt,
      strategy: STRATEGY,
      judge: o.judgeName,
      n: o.n,
      steps: o.steps,
      seed: o.seed + i,
      nfe: r.nfe,
      judge_calls: r.judgeCalls,
      seconds,
      images: { chosen: "chosen.png", rounds: rounds.map((x) => `round-${x.round}.png`) },
      cost_by_round: rounds.map((x) => ({ round: x.round, nfe: x.nfe, judge_calls: x.judgeCalls })),
      // evaluation only: the strategy never sees the detector
      detector,
      trace: r.trace,
    };
    writeFileAtomic(join(o.out, files.trace), JSON.stringify(trace) + "\n");
    shown.push({ prompt: spec.prompt, png, image: files.image, trace: files.trace, nfe: r.nfe, judgeCalls: r.judgeCalls, seconds, detector, rounds });
    outputs.push({
      prompt: spec.prompt,
      image: join(o.out, files.image),
      trace: join(o.out, files.trace),
      round_images: files.rounds.map((f) => join(o.out, f)),
      rounds: rounds.length,
      nfe: r.nfe,
      judge_calls: r.judgeCalls,
      seconds,
      reflection: rounds[rounds.length - 1].reflection,
      detector,
    });
    o.onProgress?.({ prompt: i, prompts: total, round: rounds.length - 1, step: o.steps - 1, steps: o.steps, done: true });
  }
  const seconds = (Date.now() - started) / 1000;
  const settings = { strategy: STRATEGY, judge: o.judgeName, n: o.n, steps: o.steps, seed: o.seed, corrector: correctorOf(generator) };
  const report = join(o.out, "index.html");
  writeFileAtomic(report, demoHtml({ ...settings, date: o.date ?? new Date().toISOString(), seconds, prompts: shown }));
  return { out: o.out, report, ...settings, seconds, prompts: outputs };
}

/** What regenerations ran on: the self-correction fine-tune (true) or the base generator (false), or an outside step server (its URL). */
function correctorOf(g: StepGenerator): boolean | string {
  return g instanceof EmbeddedStepGenerator ? g.pipeline.corrector !== undefined : g.name;
}

/**
 * The prompts given (checked against the model's words; scored by the detector when they follow
 * the templates), or else `count` distinct training prompts drawn with `seed` (never test prompts).
 */
export function demoPrompts(given: readonly string[], count: number, seed: number): DemoPromptSpec[] {
  if (given.length > 0) {
    return given.map((prompt) => {
      try {
        encodeText(prompt);
      } catch (e) {
        if (e instanceof UnknownWordError) throw new UserError(e.message);
        throw e;
      }
      let meta: PromptMeta | null = null;
      try {
        meta = parsePrompt(prompt);
      } catch {
        // not a template prompt: generated and judged, but not scored by the detector
      }
      return { prompt, meta };
    });
  }
  const seen = new Set<string>();
  return collectionPrompts(seed, count * 20)
    .filter((m) => !seen.has(m.prompt) && seen.add(m.prompt))
    .slice(0, count)
    .map((meta) => ({ prompt: meta.prompt, meta }));
}

interface DemoCliOptions extends GeneratorFlags {
  out: string;
  prompts: number;
  n: number;
  steps: number;
  seed: number;
  judge: string;
  baseUrl?: string;
  model?: string;
  json?: boolean;
  quiet?: boolean;
}

/** Checks the options, loads the models and runs the demo with a progress bar. */
export async function demoCommand(given: readonly string[], o: DemoCliOptions): Promise<DemoOutput> {
  if (o.n < 1 || o.steps < 1 || o.prompts < 1) throw new UserError("--n, --steps and --prompts must be at least 1");
  if (!Object.hasOwn(JUDGES, o.judge)) throw new UserError(new UnknownJudgeError(o.judge).message);
  const prompts = demoPrompts(given, o.prompts, o.seed);
  const judge = cliJudge({ judge: o.judge, baseUrl: o.baseUrl, model: o.model });
  if (!judge.reflect) throw new UserError(`${STRATEGY} needs a reflecting judge; '${o.judge}' is not one`);
  const generator = await cliGenerator(o);
  // a step server reads prompts itself, and refuses what it cannot (exit 2)
  if (generator instanceof EmbeddedStepGenerator) {
    const maxText = generator.pipeline.generator.config.maxText;
    for (const p of prompts) {
      if (encodeText(p.prompt).length > maxText) throw new UserError(`prompt "${p.prompt}" is too long: the model reads at most ${maxText} words`);
    }
  }
  // counted in decoding steps with every prompt's budget at its most rounds, so the ETA is an
  // upper bound; a prompt whose image passes reflection early jumps to its budget's end
  const budget = (1 + MAX_ROUNDS) * o.steps;
  const bar = progressBar(prompts.length * budget, "demo", !o.json && !o.quiet);
  const onProgress = (p: DemoProgress) => {
    const at = p.prompt * budget + (p.done ? budget : p.round * p.steps + p.step + 1);
    bar.update(at, `prompt ${p.prompt + 1}/${p.prompts} ${p.done ? "done" : `round ${p.round} step ${p.step + 1}/${p.steps}`}`);
  };
  try {
    return await runDemo(generator, judge, { out: o.out, prompts, n: o.n, steps: o.steps, seed: o.seed, judgeName: o.judge, onProgress });
  } finally {
    bar.stop();
  }
}

function describe(r: DemoOutput): string {
  const lines = r.prompts.map((p) => {
    const det = p.detector ? `, detector ${p.detector.correct ? "correct" : "wrong"}` : "";
    return `  "${p.prompt}": ${p.rounds} round(s), NFE ${p.nfe}, ${p.judge_calls} judge calls${det}, ${p.seconds.toFixed(1)} s -> ${p.image}`;
  });
  return `wrote ${r.report} (${r.prompts.length} prompt(s), ${r.seconds.toFixed(1)} s)\n${lines.join("\n")}\n`;
}

export function registerDemo(program: Command): void {
  program
    .command("demo")
    .description(`run ${STRATEGY} with a reflecting judge on a few prompts; write the images, traces and an HTML report of every round`)
    .argument("[prompts...]", 'prompts of the shapes world (default: --prompts training prompts, never test ones), e.g. "a photo of two red circles"')
    .option("--out <dir>", "output folder: DIR/index.html, DIR/NN/chosen.png, DIR/NN/round-R.png, DIR/NN/trace.json", "runs/demo")
    .addOption(new Option("--prompts <k>", "prompts to draw when none are given").default(3).argParser(intOption))
    .addOption(new Option("--n <paths>", "paths per round (N)").default(8).argParser(pathsOption))
    .addOption(new Option("--steps <T>", "decoding steps").default(DEFAULT_SAMPLE.steps).argParser(intOption))
    .addOption(new Option("--seed <n>", "seed of the drawn prompts and the paths (prompt i is seeded seed + i)").default(0).argParser(seedOption))
    .addOption(new Option("--judge <name>", `reflecting judge: ${Object.keys(JUDGES).join(", ")}`).default("fine-tuned"))
    .option("--base-url <url>", "with --judge openai: the OpenAI-compatible API root (else IMAGECOT_JUDGE_BASE_URL)")
    .option("--model <name>", "with --judge openai: the model name (else IMAGECOT_JUDGE_MODEL)")
    .option("--generator <file>", "generator weights (default: the shipped model)")
    .option("--tokenizer <file>", "tokenizer weights (default: the shipped model)")
    .option("--corrector <file>", "self-correction generator weights (default: models/generator-sc.safetensors when present)")
    .option("--generator-url <url>", `${GENERATOR_URL_HELP}; corrections go to it too`)
    .option("--json", "print what was written as one JSON object")
    .option("--quiet", "no progress bar; print nothing on success")
    .addHelpText(
      "after",
      `
The final image of each prompt is framed by the detector's verdict in the report (evaluation only).
Exit codes: 0 written, 1 failure (missing weights, a run that fails), 2 bad arguments (unknown word, judge or option).

Examples:
  imagecot demo                                   # 3 training prompts, N=8, into runs/demo/index.html
  imagecot demo "a photo of two red circles" "a photo of a star left of a blue square" --n 4 --out runs/demo-2
  imagecot demo --prompts 5 --seed 7 --json
`,
    )
    .action(async (given: string[], o: DemoCliOptions) => {
      const r = await demoCommand(given, o);
      if (o.json) process.stdout.write(JSON.stringify(r) + "\n");
      else if (!o.quiet) process.stdout.write(describe(r));
    });
}
