// `imagecot eval`: GenEval's verdicts and summary for a layout folder (through the project's
// detector) or for detections made by any external detector.
import { judgeId } from "../judges/judge.js";
import { join } from "node:path";
import { Command, Option } from "commander";
import { writeResult } from "../util/provenance.js";
import { REPLAYABLE, type ReplayableStrategy, replayStrategy } from "../eval/replay.js";
import { evaluateSuite, suiteConcurrency } from "../eval/run-suite.js";
import { readMetadataFile } from "../geneval/metadata.js";
import { DEFAULT_SAMPLE } from "../generator/sampler.js";
import { SHAPE_CLASSES } from "../shapes/world.js";
import { STRATEGIES, strategyByName } from "../strategies/index.js";
import { writeFileAtomic } from "../util/atomic.js";
import { readDetectionsFile } from "../geneval/detections.js";
import {
  defaultResultsPath,
  formatResultsJsonl,
  formatSummaryTable,
  scoreFolder,
  scoreImage,
  summarizeRows,
  writeEvalOutputs,
  type ImageInput,
  type ResultRow,
} from "../geneval/score.js";
import type { Detection } from "../geneval/types.js";
import { detect } from "../shapes/detector.js";
import { readPng } from "../shapes/image.js";
import { userInput } from "./geneval.js";
import { cliJudge } from "./judge.js";
import { type PipelineIds, type SuiteSettings, claimFolder, pipelineIds, settingsTag } from "../eval/fingerprint.js";
import { fileHash } from "../util/file-hash.js";
import { embeddedJudgeHash } from "../judges/embedded.js";
import { DEFAULT_GENERATOR_WEIGHTS } from "../models/paths.js";
import { queueSuite } from "../queue/eval-image.js";
import { jobModels } from "../queue/models.js";
import { queueRecordings } from "../queue/record.js";
import { JUDGES, isEmbeddedJudge } from "../judges/registry.js";
import { cfgOption, intOption, seedOption } from "./options.js";
import { progressBar } from "./progress.js";
import { UserError } from "./run.js";
import { EmbeddedStepGenerator } from "../generator/embedded-steps.js";
import type { StepGenerator } from "../generator/step-generator.js";
import { GENERATOR_URL_HELP, type GeneratorFlags, cliGenerator } from "./pipeline.js";
import { onQueue, queueOption } from "./queue.js";

/** The project's detector on one PNG file: the only place eval touches pixels. */
function detectPng(path: string): Detection[] {
  return detect(readPng(path));
}

interface EvalOptions extends GeneratorFlags {
  detections?: string;
  json?: boolean;
  quiet?: boolean;
  out?: string;
  rows?: string;
  suite?: string;
  strategy: string;
  imagesPerPrompt: number;
  n: number;
  steps: number;
  cfg: number;
  seed: number;
  genDir?: string;
  restart?: boolean;
  judge?: string;
  baseUrl?: string;
  model?: string;
  apiKey?: string;
  replay?: string;
  every: number;
  queue?: string;
}

const DETECTIONS_HELP = `
Layout (DIR): DIR/00000/metadata.jsonl (one line of GenEval metadata), DIR/00000/samples/0000.png, ...
Writes DIR/summary.json (or --out) and results.jsonl beside it (or --rows): one row per image
{prompt_index, sample_index, filename, tag, prompt, correct, reasons, detections}.

--detections FILE.jsonl: one row per image, scored by the same rules:
  {"metadata": {...GenEval metadata...},
   "detections": [{"class": "clock", "box": [x0, y0, x1, y1], "confidence": 0.97, "color": "red"}],
   "prompt_index": 12, "filename": "..."}
  box in pixels (y downwards), color one of GenEval's ten, prompt_index and filename optional.
  Samples of one prompt share prompt_index (given on every row or none) or else the prompt text.
  Nothing is written unless --out is given.

--suite with a strategy that chooses among N paths (best-of-n, parm, parm++) also keeps, for
'imagecot report', the other paths of each prompt's first image: GEN_DIR/00000/samples/0000-path07.png
(final images, never scored as samples; a cut path has none) and GEN_DIR/00000/rejected.json (the
chosen path; each other path's judge score, cut step and detector verdict).
`;

function report(rows: ResultRow[], opts: EvalOptions, summaryPath: string | undefined): void {
  const summary = userInput(() => summarizeRows(rows));
  if (summaryPath !== undefined) {
    const resultsPath = opts.rows ?? defaultResultsPath(summaryPath);
    writeEvalOutputs(summaryPath, resultsPath, rows, summary);
    if (!opts.json) process.stderr.write(`wrote ${summaryPath} and ${resultsPath}\n`);
  }
  process.stdout.write(opts.json ? JSON.stringify(summary) + "\n" : formatSummaryTable(summary) + "\n");
}

/**
 * GenEval's own verdicts in its results.jsonl: their score (as its summary_scores.py computes
 * it), and how often our verdict from its detections agrees (colour checks cannot: GenEval
 * keeps no colours), on stderr.
 */
function reportGenEvalVerdicts(images: readonly ImageInput[], rows: readonly ResultRow[], json?: boolean): void {
  const theirs = summarizeRows(rows.map((r, i) => ({ ...r, correct: images[i].reported ?? false })));
  const colourless = rows.flatMap((r, i) => (images[i].metadata.include.some((inc) => inc.color !== undefined) ? [] : [{ r, i }]));
  const agree = colourless.filter(({ r, i }) => r.correct === images[i].reported).length;
  const out = { geneval_reported: theirs, agreement_without_colour_checks: colourless.length > 0 ? agree / colourless.length : null };
  process.stderr.write(json ? JSON.stringify(out) + "\n" : `GenEval's own verdicts: overall ${theirs.overall.toFixed(4)}; ours agree on ${agree}/${colourless.length} images without a colour check\n`);
}

/** --suite: generate with a strategy into GenEval's layout (resumable), then score it. */
async function evalSuite(suiteFile: string, opts: EvalOptions): Promise<void> {
  const started = performance.now();
  const suite = userInput(() => readMetadataFile(suiteFile, { classes: SHAPE_CLASSES }));
  if (opts.replay && opts.generatorUrl) throw new UserError("--replay records the embedded generator's tokens: it cannot run with --generator-url");
  const strategy = opts.replay ? replayableOrUsage(opts.strategy, opts.replay, opts.judge) : strategyByNameOrUsage(opts.strategy);
  if (opts.queue && opts.generatorUrl) throw new UserError("--queue runs the embedded generator on the workers: it cannot run with --generator-url");
  // embedded: its batcher lets the prompts in flight share forward passes (a step server shares its own)
  const generator = await cliGenerator(opts);
  const ids = generatorFingerprint(generator, opts.generator);
  const fingerprint: SuiteSettings = {
    ...ids,
    suite: fileHash(suiteFile)!,
    strategy: opts.strategy,
    judge: opts.judge ? [opts.judge, opts.baseUrl, opts.model].filter(Boolean).join(" ") : null,
    ...(opts.judge !== undefined && isEmbeddedJudge(opts.judge) ? { judge_weights: embeddedJudgeHash(opts.judge) ?? "missing" } : {}),
    ...(strategy.rule ? { rule: strategy.rule } : {}),
    replay: opts.replay !== undefined,
    n: opts.n,
    images_per_prompt: opts.imagesPerPrompt,
    steps: opts.steps,
    cfg: opts.cfg,
    temperature: DEFAULT_SAMPLE.temperature,
    confidence_temperature: DEFAULT_SAMPLE.confidenceTemperature,
    // only where not 0, so that folders claimed before the penalty existed keep their settings
    ...(DEFAULT_SAMPLE.flatPenalty ? { flat_penalty: DEFAULT_SAMPLE.flatPenalty } : {}),
    seed: opts.seed,
  };
  // the default folder is named for the settings, so other settings never land in it
  const genDir = opts.genDir ?? join("runs", "eval", `${opts.strategy}${opts.judge ? `-${opts.judge}` : ""}-n${opts.n}-k${opts.imagesPerPrompt}-s${opts.seed}-${settingsTag(fingerprint)}`);
  // the judge loads first: a folder is never claimed for weights that are not there
  const judge = opts.judge ? cliJudge({ judge: opts.judge, baseUrl: opts.baseUrl, model: opts.model, apiKey: opts.apiKey }) : undefined;
  claimFolder(genDir, fingerprint, opts.restart);
  const prompts = suite.map((_, p) => p).filter((p) => p % opts.every === 0);
  const sample = { ...DEFAULT_SAMPLE, steps: opts.steps, cfg: opts.cfg };
  const showBar = !opts.json && !opts.quiet;
  if (opts.queue) {
    const run = { out: genDir, suite, prompts, imagesPerPrompt: opts.imagesPerPrompt, seed: opts.seed, sample };
    const jobJudge = opts.judge ? { judge: opts.judge, baseUrl: opts.baseUrl, model: opts.model } : null;
    const replay = opts.replay;
    await onQueue(opts.queue, `eval ${opts.strategy}`, showBar, (c, onProgress) =>
      replay !== undefined
        ? queueRecordings(c, { ...run, dir: replay, n: opts.n, models: jobModels(ids, null) }, onProgress)
        : queueSuite(c, { ...run, settings: fingerprint, models: jobModels(ids, jobJudge), judge: jobJudge }, onProgress),
    );
  }
  // after the queue, what is left is scoring, and for a replay the judge's verdicts and choices
  const bar = progressBar(prompts.length, `eval ${opts.strategy}`, showBar && (!opts.queue || opts.replay !== undefined));
  const { summary, rows } = await (async () => {
    try {
      return await evaluateSuite({
        suite,
        strategy,
        ctx: { generator, judge, n: opts.n, sample },
        imagesPerPrompt: opts.imagesPerPrompt,
        seed: opts.seed,
        out: genDir,
        prompts,
        concurrency: suiteConcurrency(opts.strategy, opts.imagesPerPrompt, opts.n),
        onProgress: (done) => bar.update(done),
      });
    } finally {
      bar.stop();
    }
  })();
  const resultsPath = opts.rows ?? join(genDir, "results.jsonl");
  writeFileAtomic(resultsPath, formatResultsJsonl(rows));
  const settings = { strategy: opts.strategy, rule: fingerprint.rule ?? null, judge: opts.judge ?? null, judge_id: judge ? judgeId(judge) : null, n: opts.n, images_per_prompt: opts.imagesPerPrompt, steps: opts.steps, cfg: opts.cfg, temperature: sample.temperature, confidence_temperature: sample.confidenceTemperature, flat_penalty: sample.flatPenalty ?? 0, seed: opts.seed, suite: suiteFile, every: opts.every, replay: opts.replay ?? null, generator: opts.generatorUrl ?? opts.generator ?? "models/generator.safetensors", generator_hash: opts.generatorUrl ? null : ids.generator };
  const perImage = perImageCorrect(rows, prompts, opts.imagesPerPrompt);
  // this invocation's time: a resumed run's covers only what it made (and its scoring)
  const wall_seconds = (performance.now() - started) / 1000;
  const record = { ...summary, settings, images_dir: genDir, per_image_correct: perImage, wall_seconds };
  writeResult(join(genDir, "summary.json"), record);
  if (opts.out) writeResult(opts.out, record);
  process.stdout.write(opts.json ? JSON.stringify(summary) + "\n" : `${formatSummaryTable(summary)}\nNFE per image    ${summary.nfe_per_image}\n`);
}

/** What made the images: the weights by content, or the URL of the step server that made them (its weights are its own). */
function generatorFingerprint(g: StepGenerator, weights: string | undefined): PipelineIds {
  if (!(g instanceof EmbeddedStepGenerator)) return { generator: g.name, tokenizer: null, corrector: null };
  return pipelineIds(weights ?? DEFAULT_GENERATOR_WEIGHTS, g.pipeline);
}

/** "0"/"1" per image of the prompts run, in (prompt, sample) order: what paired comparisons between runs need. */
function perImageCorrect(rows: readonly ResultRow[], prompts: readonly number[], k: number): string {
  const at = new Map(prompts.map((p, i) => [p, i]));
  const bits = Array<string>(prompts.length * k).fill("0");
  for (const r of rows) if (r.correct) bits[at.get(r.prompt_index)! * k + r.sample_index] = "1";
  return bits.join("");
}

function replayableOrUsage(name: string, dir: string, judge: string | undefined) {
  if (!(REPLAYABLE as readonly string[]).includes(name)) throw new UserError(`--replay works for ${REPLAYABLE.join(", ")}; '${name}' branches or regenerates, so it runs live`);
  return replayStrategy(name as ReplayableStrategy, dir, judge ?? null);
}

function strategyByNameOrUsage(name: string) {
  try {
    return strategyByName(name);
  } catch (e) {
    throw new UserError((e as Error).message);
  }
}

export function registerEval(program: Command): void {
  program
    .command("eval")
    .description("score images by GenEval's rules: a GenEval layout folder, or --detections from any detector")
    .argument("[dir]", "GenEval layout folder of PNG samples")
    .option("--detections <file>", "score this detections JSONL instead of a folder (format below)")
    .option("--json", "print the summary as one JSON object")
    .option("--out <file>", "summary JSON to write (default DIR/summary.json)")
    .option("--rows <file>", "per-image verdicts (JSONL) to write (default results.jsonl beside the summary)")
    .option("--suite <file>", "generate images for this suite with --strategy, then score them")
    .option("--strategy <name>", `with --suite: ${Object.keys(STRATEGIES).join(", ")}`, "none")
    .addOption(new Option("--images-per-prompt <k>", "with --suite: images per prompt").default(4).argParser(intOption))
    .addOption(new Option("--n <paths>", "with --suite: paths per image (N) for strategies that choose").default(20).argParser(intOption))
    .addOption(new Option("--steps <T>", "with --suite: decoding steps").default(DEFAULT_SAMPLE.steps).argParser(intOption))
    .addOption(new Option("--cfg <g>", "with --suite: guidance scale").default(DEFAULT_SAMPLE.cfg).argParser(cfgOption))
    .addOption(new Option("--seed <n>", "with --suite: random seed").default(0).argParser(seedOption))
    .option("--gen-dir <dir>", "with --suite: where images go (default runs/eval/<strategy>-n<N>-k<K>-s<seed>-<settings hash>; rerun to resume; other settings are refused)")
    .option("--restart", "with --suite: delete what --gen-dir holds and start over")
    .option("--generator <file>", "with --suite: generator weights (default: the shipped model)")
    .option("--tokenizer <file>", "with --suite: tokenizer weights (default: the shipped model)")
    .option("--generator-url <url>", `with --suite: ${GENERATOR_URL_HELP}; the settings fingerprint records the URL`)
    .addOption(new Option("--every <k>", "with --suite: only every k-th prompt (0, k, 2k, ...), seeds unchanged, so a costly strategy runs on a paired subset").default(1).argParser(intOption))
    .option("--replay <dir>", `with --suite: replay ${REPLAYABLE.join(", ")} from N recorded paths per image kept in DIR (recorded when missing; shared across strategies and judges)`)
    .option("--judge <name>", `with --suite: the verifier of judging strategies (${Object.keys(JUDGES).join(", ")})`)
    .option("--base-url <url>", "with --judge openai: API root (else IMAGECOT_JUDGE_BASE_URL or OPENAI_BASE_URL)")
    .option("--model <name>", "with --judge openai: model name (else IMAGECOT_JUDGE_MODEL)")
    .option("--api-key <key>", "with --judge openai: API key (else IMAGECOT_JUDGE_API_KEY or OPENAI_API_KEY)")
    .addOption(queueOption("with --suite: make the images (with --replay, the recordings)"))
    .option("--quiet", "no progress bar")
    .addHelpText("after", DETECTIONS_HELP + "\nExit codes: 0 scored, 1 a failure (missing weights, a judge server error), 2 bad arguments or input.\n\nExample:\n  imagecot eval --suite suites/geneval-shapes.jsonl --strategy none --images-per-prompt 4 --json --out results/baseline.json\n")
    .action(async (dir: string | undefined, opts: EvalOptions) => {
      const modes = [dir !== undefined, opts.detections !== undefined, opts.suite !== undefined].filter(Boolean).length;
      if (modes !== 1) throw new UserError("give exactly one of: a folder DIR, --detections FILE, --suite FILE");
      if (opts.queue !== undefined && opts.suite === undefined) throw new UserError("--queue works with --suite: scoring a folder or detections is quick where it is");
      if (opts.suite !== undefined) return evalSuite(opts.suite, opts);
      if (opts.detections !== undefined) {
        const file = opts.detections;
        const images = userInput(() => readDetectionsFile(file));
        const rows = images.map(scoreImage);
        if (images.some((im) => im.reported !== undefined)) reportGenEvalVerdicts(images, rows, opts.json);
        report(rows, opts, opts.out);
        return;
      }
      const folder = dir as string;
      const progress = !opts.json && process.stderr.isTTY;
      const rows = userInput(() =>
        scoreFolder(folder, detectPng, progress ? (done, total) => process.stderr.write(`\rscoring ${done}/${total}`) : undefined),
      );
      if (progress) process.stderr.write("\n");
      report(rows, opts, opts.out ?? join(folder, "summary.json"));
    });
}
