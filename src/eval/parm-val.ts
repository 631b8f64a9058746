// PARM's thresholds measured on held-out training prompts, never on the test suite: the
// held-out tenth of the judges' paths (`data paths`; the judge never trained on them) is
// replayed as a recording, the judge asked clarity and potential at every step and the
// outcome of every final, and PARM's rule replayed at each (clarity threshold, potential
// threshold, survivor budget) beside best-of-N on the same paths: how often the chosen final
// is right, at what NFE.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Pipeline, decodeTokens } from "../generator/pipeline.js";
import { cfgHalves } from "../generator/sampler.js";
import type { CollectedPrompt } from "../judges/collect.js";
import { type Judge, judgeId } from "../judges/judge.js";
import { writeFileAtomic } from "../util/atomic.js";
import { pairedDifferenceInterval } from "../util/bootstrap.js";
import { type Recording, type RecordedVerdicts, completeVerdicts, prediction, replayChoice } from "./replay.js";

export interface ParmValPoint {
  clear_at: number;
  keep_from: number;
  /** the survivor budget (parm-rule.ts); N or more is none */
  max_survivors: number;
  /** share of prompts whose chosen final the detector accepts */
  accuracy: number;
  /** accuracy minus best-of-N's on the same paths, 95% interval from a bootstrap over prompts */
  vs_best_of_n_ci95: [number, number];
  nfe_per_image: number;
  /** NFE against best-of-N's on the same paths */
  nfe_share: number;
  judge_calls_per_image: number;
}

export interface ParmValResult {
  prompts: number;
  paths_per_prompt: number;
  best_of_n: { accuracy: number; nfe_per_image: number; judge_calls_per_image: number };
  /** share of prompts with a right final among their paths: the ceiling of any choice */
  oracle: number;
  points: ParmValPoint[];
  /** the most accurate pair within `max_nfe_share` of best-of-N's NFE (the cheaper on ties); null when none is */
  chosen: ParmValPoint | null;
  max_nfe_share: number;
}

/** A collected prompt's paths as a recording (every path's prediction after every step). */
export function recordingOf(p: CollectedPrompt, cfg: number): Recording {
  const steps = p.paths[0].predictions.length;
  const tokens = p.paths[0].predictions[0].length;
  const predictions = new Uint16Array(p.paths.length * steps * tokens);
  p.paths.forEach((path, i) => path.predictions.forEach((pred, t) => predictions.set(pred, (i * steps + t) * tokens)));
  return { seed: p.paths[0].seed, n: p.paths.length, steps, cfg, tokens, predictions };
}

/** Clarity and potential at every step before the last (so that any clarity threshold reads them), and the finals' outcomes. */
async function everyStepVerdicts(r: Recording, p: Pipeline, judge: Judge, prompt: string): Promise<RecordedVerdicts> {
  const T = r.steps;
  const clarity = Array.from({ length: r.n }, () => [] as number[]);
  const potential = Array.from({ length: r.n }, () => [] as number[]);
  for (let t = 0; t < T - 1; t++) {
    const images = decodeTokens(p.tokenizer, Array.from({ length: r.n }, (_, i) => prediction(r, i, t)));
    const asked = await judge.judge(images.flatMap((image) => (["clarity", "potential"] as const).map((question) => ({ question, prompt, image, step: t, steps: T }))));
    for (let i = 0; i < r.n; i++) {
      clarity[i].push(asked[2 * i].pYes);
      potential[i].push(asked[2 * i + 1].pYes);
    }
  }
  const { outcome } = await completeVerdicts(r, p, judge, prompt, {}, ["outcome"]);
  return { clarity, potential, outcome };
}

/**
 * everyStepVerdicts, kept in `dir` (one file per held-out prompt) when given, so that another
 * rule or threshold replays in seconds: a file answers only for the same prompt, the same paths
 * (their every prediction, by hash: paths collected again under the same seeds differ) and judge.
 */
async function keptVerdicts(dir: string | undefined, k: number, p: CollectedPrompt, r: Recording, pipeline: Pipeline, judge: Judge): Promise<RecordedVerdicts> {
  const paths = createHash("sha256").update(new Uint8Array(r.predictions.buffer, r.predictions.byteOffset, r.predictions.byteLength)).digest("hex").slice(0, 16);
  const key = { prompt: p.meta.prompt, seeds: p.paths.map((q) => q.seed), steps: r.steps, paths, judge: judgeId(judge) };
  const file = dir && join(dir, `${k}.${judge.name}.json`);
  if (file && existsSync(file)) {
    const kept = JSON.parse(readFileSync(file, "utf8")) as RecordedVerdicts & { for: unknown };
    if (JSON.stringify(kept.for) === JSON.stringify(key)) return kept;
  }
  const v = await everyStepVerdicts(r, pipeline, judge, p.meta.prompt);
  if (file) writeFileAtomic(file, JSON.stringify({ ...v, for: key }) + "\n");
  return v;
}

/** Every rule the sweep replays: each clarity threshold, potential threshold and survivor budget. */
const grid = (o: { clearAt: readonly number[]; keepFrom: readonly number[]; maxSurvivors: readonly number[] }) =>
  o.clearAt.flatMap((clearAt) => o.keepFrom.flatMap((keepFrom) => o.maxSurvivors.map((maxSurvivors) => ({ clearAt, keepFrom, maxSurvivors }))));
const key = (r: ReturnType<typeof grid>[number]): string => `${r.clearAt}/${r.keepFrom}/${r.maxSurvivors}`;

export async function parmValidation(
  pipeline: Pipeline,
  judge: Judge,
  prompts: readonly CollectedPrompt[],
  o: { clearAt: readonly number[]; keepFrom: readonly number[]; maxSurvivors: readonly number[]; maxNfeShare: number; cfg: number; cache?: string; onProgress?: (done: number, total: number) => void },
): Promise<ParmValResult> {
  const halves = cfgHalves(o.cfg);
  const n = prompts[0].paths.length;
  // per rule: whether each prompt's chosen final is right, and the NFE and judge calls summed
  const sums = new Map<string, { right: number[]; nfe: number; calls: number }>();
  let oracle = 0;
  for (const [k, p] of prompts.entries()) {
    if (p.paths.length !== n) throw new Error(`prompt ${k} has ${p.paths.length} paths, not ${n}: replays compare like with like`);
    const r = recordingOf(p, o.cfg);
    const v = await keptVerdicts(o.cache, k, p, r, pipeline, judge);
    if (p.paths.some((q) => q.correct)) oracle++;
    const add = (key: string, c: ReturnType<typeof replayChoice>) => {
      const s = sums.get(key) ?? { right: [], nfe: 0, calls: 0 };
      s.right.push(p.paths[c.path].correct ? 1 : 0);
      s.nfe += c.nfe;
      s.calls += c.judgeCalls;
      sums.set(key, s);
    };
    add("best-of-n", replayChoice("best-of-n", n, r.steps, halves, v));
    for (const rule of grid(o)) add(key(rule), replayChoice("parm", n, r.steps, halves, v, rule));
    o.onProgress?.(k + 1, prompts.length);
  }
  const P = prompts.length;
  const bon = sums.get("best-of-n")!;
  const mean = (right: readonly number[]) => right.reduce((a, x) => a + x, 0) / P;
  const points = grid(o).map((rule) => {
    const s = sums.get(key(rule))!;
    return { clear_at: rule.clearAt, keep_from: rule.keepFrom, max_survivors: rule.maxSurvivors, accuracy: mean(s.right), vs_best_of_n_ci95: pairedDifferenceInterval(s.right, bon.right), nfe_per_image: s.nfe / P, nfe_share: s.nfe / bon.nfe, judge_calls_per_image: s.calls / P };
  });
  const within = points.filter((x) => x.nfe_share <= o.maxNfeShare);
  const chosen = within.reduce<ParmValPoint | null>((b, x) => (b === null || x.accuracy > b.accuracy || (x.accuracy === b.accuracy && x.nfe_per_image < b.nfe_per_image) ? x : b), null);
  return {
    prompts: P,
    paths_per_prompt: n,
    best_of_n: { accuracy: mean(bon.right), nfe_per_image: bon.nfe / P, judge_calls_per_image: bon.calls / P },
    oracle: oracle / P,
    points,
    chosen,
    max_nfe_share: o.maxNfeShare,
  };
}
