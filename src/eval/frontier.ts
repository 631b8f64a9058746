// The compute frontier (issue 13): GenEval's score against generator NFE per image for
// best-of-N and PARM at each N of a list, with the detector's oracle as the ceiling, from one
// recording of N paths per image (the folder `eval --suite --replay DIR` writes) and one
// judge's verdicts on it. A live run with n paths decodes exactly paths 0..n-1 of the
// recording (path i's stream depends only on the seed and i), so every n is read from the one
// recording and charged, by the replay's accounting, what it would spend live.
import { existsSync } from "node:fs";
import { type ScoredImage, summarize } from "../geneval/summary.js";
import type { PromptMeta, Tag } from "../geneval/types.js";
import type { Pipeline } from "../generator/pipeline.js";
import { cfgHalves } from "../generator/sampler.js";
import type { Judge } from "../judges/judge.js";
import { MAX_SURVIVORS } from "../strategies/parm-rule.js";
import { InputError } from "../util/errors.js";
import { requireFolder } from "../util/folder.js";
import { type BudgetComparison, compareAtBudgets } from "./budget.js";
import { finalsCorrect } from "./finals.js";
import { type ImageOutcomes, pairedComparison } from "./paired.js";
import { NEEDS, type RecordedVerdicts, type ReplayChoice, cachedVerdicts, firstPaths, readRecording, recordingFile, replayChoice } from "./replay.js";
import { sampleSeed } from "./run-suite.js";

export const FRONTIER_NS: readonly number[] = [1, 2, 4, 8, 16, 32];

/** What a frontier is computed from, checked before any model is loaded or judge asked. */
export interface FrontierPlan {
  dir: string;
  suite: readonly PromptMeta[];
  seed: number;
  /** ascending */
  ns: number[];
  /** prompt p's sample s, for every recorded prompt (those with sample 0 on disk) */
  images: { prompt: number; sample: number; seed: number }[];
  imagesPerPrompt: number;
  /** paths, steps and guidance of the first recording; every other must have as many steps, the same guidance and at least max(ns) paths */
  paths: number;
  steps: number;
  cfg: number;
}

export function planFrontier(dir: string, suite: readonly PromptMeta[], seed: number, ns: readonly number[]): FrontierPlan {
  requireFolder(dir);
  if (ns.length === 0 || ns.some((n) => !Number.isInteger(n) || n < 1)) throw new InputError(`the Ns must be integers of at least 1, got ${ns.join(",")}`);
  const sorted = [...new Set(ns)].sort((a, b) => a - b);
  const count = (p: number) => {
    let s = 0;
    while (existsSync(recordingFile(dir, sampleSeed(seed, p, s)))) s++;
    return s;
  };
  const counts = suite.map((_, p) => count(p));
  const prompts = counts.flatMap((k, p) => (k > 0 ? [p] : []));
  if (prompts.length === 0) throw new InputError(`${dir} holds no recording of this suite with seed ${seed} (eval --suite FILE --strategy parm --replay ${dir} --n 32 records one)`);
  const k = counts[prompts[0]];
  const uneven = prompts.find((p) => counts[p] !== k);
  if (uneven !== undefined) throw new InputError(`${dir}: prompt ${uneven} has ${counts[uneven]} recorded images and prompt ${prompts[0]} has ${k} (an unfinished recording? rerun its eval --suite --replay command)`);
  const first = readRecording(recordingFile(dir, sampleSeed(seed, prompts[0], 0)));
  const most = sorted[sorted.length - 1];
  if (most > first.n) throw new InputError(`N=${most} is above the ${first.n} paths recorded per image in ${dir}`);
  const images = prompts.flatMap((p) => Array.from({ length: k }, (_, s) => ({ prompt: p, sample: s, seed: sampleSeed(seed, p, s) })));
  if (first.cfg === undefined) throw new InputError(`${dir} was recorded before recordings kept their guidance scale: record it again (eval --suite --replay ${dir})`);
  return { dir, suite, seed, ns: sorted, images, imagesPerPrompt: k, paths: first.n, steps: first.steps, cfg: first.cfg };
}

export type FrontierStrategy = "best-of-n" | "parm";

/** Best-of-N's and PARM's choice and cost among paths 0..n-1 of one recorded image (PARM under a survivor budget: the shipped one unless given). */
export function frontierChoices(v: RecordedVerdicts, n: number, steps: number, cfgHalves: number, maxSurvivors = MAX_SURVIVORS): Record<FrontierStrategy, ReplayChoice> {
  const first = firstPaths(v, n);
  return { "best-of-n": replayChoice("best-of-n", n, steps, cfgHalves, first), parm: replayChoice("parm", n, steps, cfgHalves, first, { maxSurvivors }) };
}

export interface ScorePoint {
  n: number;
  nfe_per_image: number;
  overall: number;
  by_tag: Partial<Record<Tag, number>>;
}

export interface StrategyPoint extends ScorePoint {
  judge_calls_per_image: number;
}

/** PARM at one N against best-of-N at the same N (the same images): GenEval's overall difference, a paired 95% interval over prompts. */
export interface ParmPoint extends StrategyPoint {
  vs_best_of_n: { diff: number; diff_ci95: [number, number] };
}

export interface Frontier {
  record: string;
  judge: string;
  seed: number;
  /** the recording's guidance scale: each path step costs 2 passes with guidance, 1 without */
  cfg: number;
  steps: number;
  paths_recorded: number;
  prompts: number;
  images_per_prompt: number;
  images: number;
  /** PARM's survivor budget (N or more: none) */
  max_survivors: number;
  best_of_n: StrategyPoint[];
  parm: ParmPoint[];
  /** the detector picks a correct path among the first N when there is one: at best-of-N's NFE, no judge */
  oracle: ScorePoint[];
  budget: BudgetComparison;
}

export interface FrontierRun {
  pipeline: Pipeline;
  judge: Judge;
  /** names the judge's cached verdicts in the recording */
  judgeName: string;
  /** PARM's survivor budget (default: the shipped MAX_SURVIVORS) */
  maxSurvivors?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Reads every recorded image once (asking the judge only what its cached verdicts lack) and scores every N from it. */
export async function computeFrontier(plan: FrontierPlan, o: FrontierRun): Promise<Frontier> {
  const most = plan.ns[plan.ns.length - 1];
  const halves = cfgHalves(plan.cfg);
  const maxSurvivors = o.maxSurvivors ?? MAX_SURVIVORS;
  const perN = () => plan.ns.map(() => ({ rows: [] as ScoredImage[], nfe: 0, judgeCalls: 0 }));
  const acc = { "best-of-n": perN(), parm: perN(), oracle: perN() };
  for (const [done, im] of plan.images.entries()) {
    const meta = plan.suite[im.prompt];
    const file = recordingFile(plan.dir, im.seed);
    const r = readRecording(file);
    if (r.seed !== im.seed || r.steps !== plan.steps || r.cfg !== plan.cfg || r.n < most)
      throw new InputError(`${file}: seed ${r.seed}, ${r.n} paths of ${r.steps} steps at guidance ${r.cfg}; expected seed ${im.seed}, at least ${most} paths of ${plan.steps} steps at ${plan.cfg}`);
    const v = await cachedVerdicts(plan.dir, im.seed, o.judgeName, r, o.pipeline, o.judge, meta.prompt, NEEDS.parm);
    const correct = finalsCorrect(o.pipeline, r, meta);
    const row = (ok: boolean): ScoredImage => ({ tag: meta.tag, promptKey: meta.prompt, correct: ok });
    plan.ns.forEach((n, i) => {
      const c = frontierChoices(v, n, r.steps, halves, maxSurvivors);
      for (const s of ["best-of-n", "parm"] as const) {
        acc[s][i].rows.push(row(correct[c[s].path]));
        acc[s][i].nfe += c[s].nfe;
        acc[s][i].judgeCalls += c[s].judgeCalls;
      }
      acc.oracle[i].rows.push(row(correct.slice(0, n).some(Boolean)));
      acc.oracle[i].nfe += c["best-of-n"].nfe; // it chooses among the same N full paths
    });
    o.onProgress?.(done + 1, plan.images.length);
  }
  const images = plan.images.length;
  const scored = (n: number, a: (typeof acc.oracle)[number]): ScorePoint => {
    const { overall, by_tag } = summarize(a.rows);
    return { n, nfe_per_image: a.nfe / images, overall, by_tag };
  };
  const curve = (s: FrontierStrategy): StrategyPoint[] => plan.ns.map((n, i) => ({ ...scored(n, acc[s][i]), judge_calls_per_image: acc[s][i].judgeCalls / images }));
  const best_of_n = curve("best-of-n");
  // rows are prompt-major, the recorded samples of each prompt in order: paired per image
  const outcomesOf = (rows: readonly ScoredImage[]): ImageOutcomes => ({
    tags: rows.filter((_, i) => i % plan.imagesPerPrompt === 0).map((r) => r.tag),
    imagesPerPrompt: plan.imagesPerPrompt,
    correct: rows.map((r) => (r.correct ? "1" : "0")).join(""),
  });
  const parm = curve("parm").map((point, i): ParmPoint => {
    const { diff, diff_ci95 } = pairedComparison(outcomesOf(acc["best-of-n"][i].rows), outcomesOf(acc.parm[i].rows));
    return { ...point, vs_best_of_n: { diff, diff_ci95 } };
  });
  const line = (pts: ScorePoint[]) => pts.map((p) => ({ nfe: p.nfe_per_image, score: p.overall }));
  return {
    record: plan.dir,
    judge: o.judgeName,
    seed: plan.seed,
    cfg: plan.cfg,
    steps: plan.steps,
    paths_recorded: plan.paths,
    prompts: images / plan.imagesPerPrompt,
    images_per_prompt: plan.imagesPerPrompt,
    images,
    max_survivors: maxSurvivors,
    best_of_n,
    parm,
    oracle: plan.ns.map((n, i) => scored(n, acc.oracle[i])),
    budget: compareAtBudgets(line(parm), line(best_of_n)),
  };
}
