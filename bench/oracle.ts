// The ceiling of selection: from a recording of N paths per image, the share of images for which
// at least one path ends correct by the detector (what a perfect ORM would reach), and how
// judges rank right paths above wrong ones by their outcome verdicts cached in the recording
// (read, never asked: `eval --replay` caches them). Analysis only: no strategy or judge reads
// the detector.
import { existsSync, readFileSync } from "node:fs";
import { finalsCorrect } from "../src/eval/finals.js";
import { readRecording, recordingFile, verdictsFile } from "../src/eval/replay.js";
import { sampleSeed } from "../src/eval/run-suite.js";
import { type ScoredImage, summarize } from "../src/geneval/summary.js";
import { TAGS, type PromptMeta, type Tag } from "../src/geneval/types.js";
import type { Pipeline } from "../src/generator/pipeline.js";

export interface OracleResult {
  paths: number;
  /** images read: sample 0 (seed 0) of each prompt, as `eval --replay --images-per-prompt 1` records them */
  images: number;
  /** GenEval's overall and per-tag accuracy if each image were the best of its N paths */
  oracle: { overall: number; by_tag: Record<string, number> };
  /** the same for one path (path 0: the baseline), from the same recording */
  single: { overall: number; by_tag: Record<string, number> };
  mean_correct_paths: number;
  /**
   * the accuracy one path drawn at random is expected to score: per tag, the share of all its
   * paths that end correct. Each path has its own random stream, so these are N draws per image
   * where a run has one; `ci95_by_tag` is the 95% half-width over those draws, the prompts fixed
   * (the normal approximation over independent paths: a little wide, since prompts differ, and
   * 0 where every path agrees); `weakest_by_tag`, each tag's 3 images with the lowest share of
   * right paths (where it loses; ties at the cut kept in suite order). Both only for tags present.
   */
  expected: {
    overall: number;
    by_tag: Record<string, number>;
    ci95_by_tag: Partial<Record<Tag, number>>;
    weakest_by_tag: Partial<Record<Tag, { prompt: string; share: number }[]>>;
  };
  /** per judge: how often it scores a right path above a wrong one of the same image (ties half), over `pairs` such pairs in `images` images (those with a right and a wrong path) */
  pairwise_ranking?: Record<string, { overall: number; by_tag: Record<string, number>; pairs: number; images: number }>;
}

/** Images whose outcome verdicts a judge has not cached: the oracle reads them and asks no judge. */
export class MissingVerdictsError extends Error {
  constructor(
    readonly missing: { judge: string; images: number }[],
    readonly images: number,
    readonly paths: number,
  ) {
    super(`${missing.map((m) => `${m.images} of ${images} images lack the ${m.judge} judge's outcome verdicts`).join("; ")}`);
  }
}

/** A judge by its name (the cache file's) and its id (the weights' or server's, which the cache records). */
export interface OracleJudge {
  name: string;
  id: string;
}

/** A judge's outcome P(yes) on every recorded path of one image, when cached by these weights (a retrained judge's old answers are not its own). */
function cachedOutcome(dir: string, seed: number, judge: OracleJudge, paths: number): number[] | null {
  const file = verdictsFile(dir, seed, judge.name);
  const kept = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as { outcome?: number[]; for?: { judge?: string } }) : undefined;
  return kept?.outcome && kept.for?.judge === judge.id && kept.outcome.length >= paths ? kept.outcome : null;
}

/** GenEval's overall (the mean of the tags present) and per-tag accuracy of scored images (by_tag lists a tag without images as 0). */
function score(rows: readonly ScoredImage[]): { overall: number; by_tag: Record<string, number> } {
  const s = summarize(rows);
  return { overall: s.overall, by_tag: Object.fromEntries(TAGS.map((t) => [t, s.by_tag[t] ?? 0])) };
}

/** One image's prompt and whether each of its paths ends correct. */
export interface ImagePaths {
  meta: PromptMeta;
  ok: readonly boolean[];
}

/** GenEval's accuracy with every path counted as an image of its prompt, and each tag's 95% half-width over its paths (OracleResult.expected). */
export function expectedAccuracy(images: readonly ImagePaths[]): OracleResult["expected"] {
  const paths = images.flatMap(({ meta, ok }) => ok.map((correct): ScoredImage => ({ tag: meta.tag, promptKey: meta.prompt, correct })));
  const expected = score(paths);
  const pathsOf = new Map<Tag, number>();
  for (const e of paths) pathsOf.set(e.tag, (pathsOf.get(e.tag) ?? 0) + 1);
  const present = TAGS.filter((t) => pathsOf.has(t));
  const ci95_by_tag = Object.fromEntries(present.map((t) => [t, 1.96 * Math.sqrt((expected.by_tag[t] * (1 - expected.by_tag[t])) / pathsOf.get(t)!)]));
  const weakest_by_tag = Object.fromEntries(
    present.map((t) => [
      t,
      images
        .filter(({ meta }) => meta.tag === t)
        .map(({ meta, ok }) => ({ prompt: meta.prompt, share: ok.filter(Boolean).length / ok.length }))
        .sort((a, b) => a.share - b.share)
        .slice(0, 3),
    ]),
  );
  return { ...expected, ci95_by_tag, weakest_by_tag };
}

export function oracleOfRecording(p: Pipeline, dir: string, suite: readonly PromptMeta[], judges: readonly OracleJudge[] = []): OracleResult {
  const seeds = suite.map((_, i) => sampleSeed(0, i, 0));
  const recordings = seeds.map((seed) => readRecording(recordingFile(dir, seed)));
  const n = recordings[0]?.n ?? 0;
  // every image or none: a ranking over the cached part would pass for the whole suite's
  const outcomes = new Map(judges.map((j) => [j.name, recordings.map((r, i) => cachedOutcome(dir, seeds[i], j, r.n))]));
  const missing = [...outcomes].map(([judge, os]) => ({ judge, images: os.filter((o) => o === null).length })).filter((m) => m.images > 0);
  if (missing.length > 0) throw new MissingVerdictsError(missing, suite.length, n);
  const read = suite.map((meta, i) => ({ meta, ok: finalsCorrect(p, recordings[i], meta), outcomes: Object.fromEntries(judges.map((j) => [j.name, outcomes.get(j.name)![i]!])) }));
  return { paths: n, ...oracleFigures(read, judges.map((j) => j.name)) };
}

/** One image's paths, whether each ends correct, and each judge's outcome P(yes) on them. */
export interface JudgedPaths extends ImagePaths {
  outcomes: Record<string, readonly number[]>;
}

/** The oracle's figures from each image's paths: the best of N, path 0, every path counted, and each judge's pairwise ranking (right above wrong, ties half). */
export function oracleFigures(images: readonly JudgedPaths[], judges: readonly string[]): Omit<OracleResult, "paths"> {
  const ranked = new Map(judges.map((j) => [j, new Map<string, [number, number]>()])); // tag -> [right-above-wrong, pairs]
  const judged = new Map(judges.map((j) => [j, 0])); // images with a right and a wrong path
  const any: ScoredImage[] = [];
  const first: ScoredImage[] = [];
  let correctPaths = 0;
  for (const { meta, ok, outcomes } of images) {
    correctPaths += ok.filter(Boolean).length;
    for (const [j, byTag] of ranked) {
      const outcome = outcomes[j];
      if (!(outcome?.length >= ok.length)) throw new Error(`${meta.prompt}: the ${j} judge has ${outcome?.length ?? 0} outcomes for ${ok.length} paths`);
      const [won, pairs] = byTag.get(meta.tag) ?? [0, 0];
      let w = won;
      let n2 = pairs;
      ok.forEach((a, x) => ok.forEach((b, y) => {
        if (a && !b) {
          n2++;
          w += outcome[x] > outcome[y] ? 1 : outcome[x] === outcome[y] ? 0.5 : 0;
        }
      }));
      if (n2 > pairs) judged.set(j, judged.get(j)! + 1);
      byTag.set(meta.tag, [w, n2]);
    }
    any.push({ tag: meta.tag, promptKey: meta.prompt, correct: ok.some(Boolean) });
    first.push({ tag: meta.tag, promptKey: meta.prompt, correct: ok[0] });
  }
  const pairwise = Object.fromEntries(
    [...ranked].map(([j, byTag]) => {
      const tags = TAGS.filter((t) => (byTag.get(t)?.[1] ?? 0) > 0);
      const by_tag = Object.fromEntries(tags.map((t) => [t, byTag.get(t)![0] / byTag.get(t)![1]]));
      const pairs = tags.reduce((a, t) => a + byTag.get(t)![1], 0);
      return [j, { overall: tags.reduce((a, t) => a + by_tag[t], 0) / Math.max(1, tags.length), by_tag, pairs, images: judged.get(j)! }];
    }),
  );
  return { images: images.length, oracle: score(any), single: score(first), mean_correct_paths: correctPaths / images.length, expected: expectedAccuracy(images), ...(judges.length > 0 ? { pairwise_ranking: pairwise } : {}) };
}
