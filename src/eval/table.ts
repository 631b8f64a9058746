// The README's results table: one row per evaluation file, beside the paper's rows, each
// compared with the baseline on the same prompts and seeds (paired, 95% bootstrap intervals).
import { readFileSync } from "node:fs";
import { basename, isAbsolute, relative } from "node:path";
import { readMetadataFile } from "../geneval/metadata.js";
import { TAGS, type Tag } from "../geneval/types.js";
import { ALIGNED_GENERATORS, DEFAULT_GENERATOR_WEIGHTS } from "../models/paths.js";
import { InputError } from "../util/errors.js";
import { fromRoot } from "../util/root.js";
import { type ImageOutcomes, pairedComparison } from "./paired.js";

export interface EvalFile {
  overall: number;
  by_tag: Record<Tag, number>;
  images: number;
  nfe_per_image: number;
  judge_calls_per_image: number;
  per_image_correct?: string;
  /** how many images each precision made (absent in files made before it was kept) */
  images_by_precision?: Record<string, number>;
  /** flat_penalty: the sampler's flat-background penalty (absent in files made before it existed: 0) */
  settings: { strategy: string; judge: string | null; n: number; images_per_prompt: number; suite: string; generator?: string; every?: number; flat_penalty?: number };
}

/** The paper's name for a strategy with a judge (METHOD.md section 5). */
export function rowLabel(s: EvalFile["settings"]): string {
  const j = s.judge ?? "";
  const names: Record<string, string> = {
    none: "baseline",
    "best-of-n": `${j} ORM (N=${s.n})`,
    "step-best-of-n": `${j} PRM (N=${s.n})`,
    parm: j === "fine-tuned" ? `PARM (N=${s.n})` : `PARM, ${j} judge (N=${s.n})`,
    "parm++-no-reason": `PARM++ without reflection (N=${s.n})`,
    "parm++": `PARM++ with reflection (N=${s.n})`,
  };
  const strategy = names[s.strategy] ?? `${s.strategy} ${j}`.trim();
  const generator = generatorLabel(s.generator);
  if (!generator) return strategy;
  return s.strategy === "none" ? generator : `${strategy} + ${generator}`;
}

/** A row's generator when it is not the shipped base model: an aligned one's name, else its path (relative to the package). */
function generatorLabel(path: string | undefined): string | null {
  if (!path) return null;
  const full = isAbsolute(path) ? path : fromRoot(path);
  if (full === DEFAULT_GENERATOR_WEIGHTS) return null;
  return ALIGNED_GENERATORS[basename(full)] ?? relative(fromRoot(), full).replace(/\.safetensors$/, "");
}

/** A run's per-image outcomes, restricted to every `every`-th prompt (runs on a subset are paired on it). */
export function outcomes(f: EvalFile, every = f.settings.every ?? 1): ImageOutcomes {
  if (!f.per_image_correct) throw new Error(`results of '${rowLabel(f.settings)}' have no per_image_correct: rerun the evaluation`);
  const own = f.settings.every ?? 1;
  if (every % own !== 0) throw new Error(`cannot compare a run on every ${own}-th prompt with one on every ${every}-th`);
  const k = f.settings.images_per_prompt;
  const kept = readMetadataFile(f.settings.suite).flatMap((m, p) => (p % own === 0 ? [{ p, tag: m.tag }] : []));
  const sel = kept.flatMap((x, i) => (x.p % every === 0 ? [{ ...x, i }] : []));
  return { tags: sel.map((x) => x.tag), imagesPerPrompt: k, correct: sel.map((x) => f.per_image_correct!.slice(x.i * k, (x.i + 1) * k)).join("") };
}

const pct = (x: number) => (x * 100).toFixed(0);
const f2 = (x: number) => x.toFixed(2).replace(/^0/, "").replace(/^-0/, "-");

/**
 * The baseline a run is compared with: of those decoded with the run's flat-background penalty,
 * the one sharing the most images per prompt with it (the first on a tie). None of its rule is
 * an error: a baseline of another re-masking rule would credit the run with the rule's effect.
 */
export function baselineFor(bases: readonly EvalFile[], f: EvalFile): EvalFile {
  const flat = (x: EvalFile) => x.settings.flat_penalty ?? 0;
  const same = bases.filter((b) => flat(b) === flat(f));
  if (same.length === 0) throw new InputError(`no baseline decoded with flat-background penalty ${flat(f)}, as '${rowLabel(f.settings)}' was: give one of its sampler`);
  const shared = (b: EvalFile) => Math.min(b.settings.images_per_prompt, f.settings.images_per_prompt);
  return same.reduce((best, b) => (shared(b) > shared(best) ? b : best));
}

/** A run against its baseline on the run's prompts; null for a baseline itself. */
export function versusBaseline(bases: readonly EvalFile[], f: EvalFile) {
  return bases.includes(f) ? null : pairedComparison(outcomes(baselineFor(bases, f), f.settings.every ?? 1), outcomes(f));
}

/**
 * Markdown: per-tag accuracy, overall, error removed vs the baseline with its interval, NFE and
 * judge calls per image. Several baselines (one per images-per-prompt setting) may be given:
 * each run is paired with the one that shares most of its images.
 */
export function resultsTable(bases: readonly EvalFile[], runs: readonly EvalFile[]): string {
  if (bases.length === 0) throw new Error("resultsTable needs a baseline");
  const head = `| run | prompts x images | ${TAGS.join(" | ")} | overall | baseline on these prompts | error removed (95% CI) | NFE/image | judge calls/image |`;
  const rule = `|${"---|".repeat(TAGS.length + 7)}`;
  const lines = [...bases, ...runs].map((f) => {
    const c = versusBaseline(bases, f);
    const removed = c ? `${pct(c.error_removed)}% (${pct(c.error_removed_ci95[0])}..${pct(c.error_removed_ci95[1])}%)` : "-";
    return `| ${rowLabel(f.settings)} | ${outcomes(f).tags.length} x ${f.settings.images_per_prompt} | ${TAGS.map((t) => f2(f.by_tag[t])).join(" | ")} | ${f2(f.overall)} | ${c ? f2(c.base) : "-"} | ${removed} | ${Math.round(f.nfe_per_image)} | ${f.judge_calls_per_image.toFixed(1)} |`;
  });
  return [head, rule, ...lines].join("\n") + "\n" + mixedPrecisions([...bases, ...runs]);
}

/**
 * A note under the table naming the rows whose images are not all of one precision (a row
 * resumed on another machine, or partly made before the precision was kept: "unrecorded").
 */
function mixedPrecisions(files: readonly EvalFile[]): string {
  const mixed = files.flatMap((f) => {
    const made = Object.entries(f.images_by_precision ?? {});
    return made.length > 1 ? [`${rowLabel(f.settings)}: ${made.map(([p, n]) => `${n.toLocaleString("en-US")} ${p}`).join(", ")}`] : [];
  });
  return mixed.length ? `\nImages by precision, where a row's are not all one: ${mixed.join("; ")}.\n` : "";
}

export function readEvalFile(path: string): EvalFile {
  return JSON.parse(readFileSync(path, "utf8")) as EvalFile;
}
