// The ceiling of selection: from a recording of N paths per image, the share of images for which
// at least one path ends correct by the detector (what a perfect ORM would reach). Analysis
// only: no strategy or judge reads the detector.
import { existsSync, readFileSync } from "node:fs";
import { finalsCorrect } from "../src/eval/finals.js";
import { readRecording, recordingFile, verdictsFile } from "../src/eval/replay.js";
import { sampleSeed } from "../src/eval/run-suite.js";
import { type ScoredImage, summarize } from "../src/geneval/summary.js";
import { TAGS, type PromptMeta } from "../src/geneval/types.js";
import type { Pipeline } from "../src/generator/pipeline.js";

export interface OracleResult {
  paths: number;
  images: number;
  /** GenEval's overall and per-tag accuracy if each image were the best of its N paths */
  oracle: { overall: number; by_tag: Record<string, number> };
  /** the same for one path (path 0: the baseline), from the same recording */
  single: { overall: number; by_tag: Record<string, number> };
  mean_correct_paths: number;
  /** per judge with cached outcome verdicts: how often it scores a right path above a wrong one of the same image (ties half) */
  pairwise_ranking?: Record<string, { overall: number; by_tag: Record<string, number>; pairs: number }>;
}

export function oracleOfRecording(p: Pipeline, dir: string, suite: readonly PromptMeta[], judges: readonly string[] = []): OracleResult {
  const ranked = new Map(judges.map((j) => [j, new Map<string, [number, number]>()])); // tag -> [right-above-wrong, pairs]
  const any: ScoredImage[] = [];
  const first: ScoredImage[] = [];
  let correctPaths = 0;
  let n = 0;
  suite.forEach((meta, i) => {
    const r = readRecording(recordingFile(dir, sampleSeed(0, i, 0)));
    n = r.n;
    const ok = finalsCorrect(p, r, meta);
    correctPaths += ok.filter(Boolean).length;
    for (const [j, byTag] of ranked) {
      const file = verdictsFile(dir, sampleSeed(0, i, 0), j);
      const outcome = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as { outcome?: number[] }).outcome : undefined;
      if (!outcome) continue;
      const [won, pairs] = byTag.get(meta.tag) ?? [0, 0];
      let w = won;
      let n2 = pairs;
      ok.forEach((a, x) => ok.forEach((b, y) => {
        if (a && !b) {
          n2++;
          w += outcome[x] > outcome[y] ? 1 : outcome[x] === outcome[y] ? 0.5 : 0;
        }
      }));
      byTag.set(meta.tag, [w, n2]);
    }
    any.push({ tag: meta.tag, promptKey: meta.prompt, correct: ok.some(Boolean) });
    first.push({ tag: meta.tag, promptKey: meta.prompt, correct: ok[0] });
  });
  const score = (rows: ScoredImage[]) => {
    const s = summarize(rows);
    return { overall: s.overall, by_tag: Object.fromEntries(TAGS.map((t) => [t, s.by_tag[t] ?? 0])) };
  };
  const pairwise = Object.fromEntries(
    [...ranked].map(([j, byTag]) => {
      const tags = TAGS.filter((t) => (byTag.get(t)?.[1] ?? 0) > 0);
      const by_tag = Object.fromEntries(tags.map((t) => [t, byTag.get(t)![0] / byTag.get(t)![1]]));
      const pairs = tags.reduce((a, t) => a + byTag.get(t)![1], 0);
      return [j, { overall: tags.reduce((a, t) => a + by_tag[t], 0) / Math.max(1, tags.length), by_tag, pairs }];
    }),
  );
  return { paths: n, images: suite.length, oracle: score(any), single: score(first), mean_correct_paths: correctPaths / suite.length, ...(judges.length > 0 ? { pairwise_ranking: pairwise } : {}) };
}
