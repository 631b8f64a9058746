// PARM's potential threshold measured on held-out training prompts, never on the test suite:
// the held-out tenth of the judges' paths (`data paths`; the judge never trained on them) is
// replayed as a recording, the judge asked as PARM asks (clarity up to each path's first clear
// step, potential there, outcomes of the finals), and PARM's rule replayed at each threshold
// beside best-of-N on the same paths: how often the chosen final is right, at what NFE.
import type { Pipeline } from "../generator/pipeline.js";
import type { CollectedPrompt } from "../judges/collect.js";
import type { Judge } from "../judges/judge.js";
import { type Recording, completeVerdicts, replayChoice } from "./replay.js";

export interface ParmValPoint {
  keep_from: number;
  /** share of prompts whose chosen final the detector accepts */
  accuracy: number;
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
  /** the most accurate threshold within `max_nfe_share` of best-of-N's NFE (the cheaper on ties); null when none is */
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

export async function parmValidation(
  pipeline: Pipeline,
  judge: Judge,
  prompts: readonly CollectedPrompt[],
  o: { keepFrom: readonly number[]; maxNfeShare: number; cfg: number; onProgress?: (done: number, total: number) => void },
): Promise<ParmValResult> {
  const halves = o.cfg > 1 ? 2 : 1;
  const n = prompts[0].paths.length;
  const sums = new Map<string, { right: number; nfe: number; calls: number }>();
  let oracle = 0;
  for (const [k, p] of prompts.entries()) {
    if (p.paths.length !== n) throw new Error(`prompt ${k} has ${p.paths.length} paths, not ${n}: replays compare like with like`);
    const r = recordingOf(p, o.cfg);
    const v = await completeVerdicts(r, pipeline, judge, p.meta.prompt, {}, ["clarity", "potential", "outcome"]);
    if (p.paths.some((q) => q.correct)) oracle++;
    const add = (key: string, c: ReturnType<typeof replayChoice>) => {
      const s = sums.get(key) ?? { right: 0, nfe: 0, calls: 0 };
      sums.set(key, { right: s.right + (p.paths[c.path].correct ? 1 : 0), nfe: s.nfe + c.nfe, calls: s.calls + c.judgeCalls });
    };
    add("best-of-n", replayChoice("best-of-n", n, r.steps, halves, v));
    for (const t of o.keepFrom) add(String(t), replayChoice("parm", n, r.steps, halves, v, t));
    o.onProgress?.(k + 1, prompts.length);
  }
  const P = prompts.length;
  const bon = sums.get("best-of-n")!;
  const points = o.keepFrom.map((t) => {
    const s = sums.get(String(t))!;
    return { keep_from: t, accuracy: s.right / P, nfe_per_image: s.nfe / P, nfe_share: s.nfe / bon.nfe, judge_calls_per_image: s.calls / P };
  });
  const within = points.filter((x) => x.nfe_share <= o.maxNfeShare);
  const chosen = within.reduce<ParmValPoint | null>((b, x) => (b === null || x.accuracy > b.accuracy || (x.accuracy === b.accuracy && x.nfe_per_image < b.nfe_per_image) ? x : b), null);
  return {
    prompts: P,
    paths_per_prompt: n,
    best_of_n: { accuracy: bon.right / P, nfe_per_image: bon.nfe / P, judge_calls_per_image: bon.calls / P },
    oracle: oracle / P,
    points,
    chosen,
    max_nfe_share: o.maxNfeShare,
  };
}
