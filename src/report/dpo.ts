// DPO training runs of a results folder (`imagecot train dpo --results FILE` writes a top-level
// `dpo` object, src/align/iterative.ts) joined with the evaluations of their weights (by path, or
// by content hash where both files record it, as a shipped copy of a round's weights): GenEval's
// overall score against the preference pairs trained on so far, one line per DPO run and
// evaluation setting, from the starting weights (0 pairs) through every round's weights.
import { basename } from "node:path";
import { methodOf, num, readJsonFiles, resolvedPath, resultsRoot, type ResultsRow } from "./results.js";

export interface DpoRun {
  /** the file's name without .json */
  label: string;
  /** "dpo", "iterative dpo", "reward-guided dpo", "self-play dpo" or "self-play iterative dpo" */
  method: string;
  /** round 1's starting weights, absolute, and their content hash (null where the file does not say) */
  start: string;
  startHash: string | null;
  /** every round's weights (absolute, and hash) and pairs trained on (null where the file does not say) */
  rounds: { round: number; weights: string; hash: string | null; pairs: number | null }[];
  /** the final weights (a copy of the last round's), absolute */
  out: string | null;
}

interface DpoJson {
  method?: unknown;
  out?: unknown;
  rounds?: { round?: unknown; generator?: unknown; generator_hash?: unknown; weights?: unknown; weights_hash?: unknown; pairs?: { pairs?: unknown } | null }[];
}

/** A results file's DPO run, or null when the file is not one; paths resolved from `root`. */
export function parseDpoFile(file: string, json: unknown, root: string): DpoRun | null {
  const d = (json as { dpo?: DpoJson } | null)?.dpo;
  if (typeof d !== "object" || d === null || !Array.isArray(d.rounds) || d.rounds.length === 0) return null;
  const start = resolvedPath(d.rounds[0].generator, root);
  const hash = (h: unknown) => (typeof h === "string" ? h : null);
  const rounds = d.rounds.map((r, i) => ({ round: num(r.round) ?? i + 1, weights: resolvedPath(r.weights, root), hash: hash(r.weights_hash), pairs: num(r.pairs?.pairs) }));
  if (start === null || rounds.some((r) => r.weights === null)) throw new Error(`${file}: a DPO round without its 'generator' or 'weights' path`);
  return {
    label: basename(file, ".json"),
    method: typeof d.method === "string" ? d.method : "dpo",
    start,
    startHash: hash(d.rounds[0].generator_hash),
    rounds: rounds.map((r) => ({ ...r, weights: r.weights! })),
    out: resolvedPath(d.out, root),
  };
}

/** Every DPO run in `dir`, by file name. */
export function readDpoRuns(dir: string): DpoRun[] {
  return readJsonFiles(dir).flatMap(({ file, json }) => {
    const run = parseDpoFile(file, json, resultsRoot(dir));
    return run ? [run] : [];
  });
}

export interface PairsPoint {
  /** preference pairs trained on through this round (0: the starting weights) */
  pairs: number;
  overall: number;
  /** 0 for the starting weights */
  round: number;
  /** the evaluation's row label */
  eval: string;
}

export interface PairsLine {
  name: string;
  points: PairsPoint[];
}

/** "parm (fine-tuned), N=20, K=1": evaluations of one setting differ only in the weights evaluated. */
const settingOf = (r: ResultsRow) => `${methodOf(r)}, K=${r.imagesPerPrompt ?? "?"}${r.every > 1 ? `, 1 in ${r.every} prompts` : ""}`;

/**
 * For each DPO run and evaluation setting, the points whose weights were evaluated: x the
 * cumulative pairs through round r, y the overall score of round r's weights (the last round's
 * also under the run's final path). Lines without any trained point are left out, so an
 * evaluation of the starting weights alone draws nothing.
 */
export function dpoPairsLines(runs: readonly DpoRun[], rows: readonly ResultsRow[]): PairsLine[] {
  const settings = new Map<string, ResultsRow[]>();
  for (const r of rows) if (r.generator !== null) settings.set(settingOf(r), [...(settings.get(settingOf(r)) ?? []), r]);
  return runs.flatMap((run) =>
    [...settings.values()].flatMap((evals) => {
      const point = (weights: (string | null)[], hash: string | null, pairs: number, round: number): PairsPoint[] => {
        // by content where both sides record it (a retrained file keeps its path), else by path
        const e = evals.find((r) => (hash !== null && r.generatorHash !== null ? r.generatorHash === hash : weights.includes(r.generator)));
        return e ? [{ pairs, overall: e.overall, round, eval: e.label }] : [];
      };
      const points = point([run.start], run.startHash, 0, 0);
      let pairs: number | null = 0; // unknown from the first round that does not say
      run.rounds.forEach((r, i) => {
        pairs = pairs === null || r.pairs === null ? null : pairs + r.pairs;
        if (pairs !== null) points.push(...point(i === run.rounds.length - 1 ? [r.weights, run.out] : [r.weights], r.hash, pairs, r.round));
      });
      return points.some((p) => p.round > 0) ? [{ name: `${run.label} (${run.method}): ${settingOf(evals[0])}`, points }] : [];
    }),
  );
}
