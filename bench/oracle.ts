// The ceiling of selection: from a recording of N paths per image, the share of images for which
// at least one path ends correct by the detector (what a perfect ORM would reach). Analysis
// only: no strategy or judge reads the detector.
import { join } from "node:path";
import { prediction, readRecording } from "../src/eval/replay.js";
import { sampleSeed } from "../src/eval/run-suite.js";
import { evaluateImage } from "../src/geneval/rules.js";
import { type ScoredImage, summarize } from "../src/geneval/summary.js";
import { TAGS, type PromptMeta } from "../src/geneval/types.js";
import { decodeTokens, type Pipeline } from "../src/generator/pipeline.js";
import { detect } from "../src/shapes/detector.js";

export interface OracleResult {
  paths: number;
  images: number;
  /** GenEval's overall and per-tag accuracy if each image were the best of its N paths */
  oracle: { overall: number; by_tag: Record<string, number> };
  /** the same for one path (path 0: the baseline), from the same recording */
  single: { overall: number; by_tag: Record<string, number> };
  mean_correct_paths: number;
}

export function oracleOfRecording(p: Pipeline, dir: string, suite: readonly PromptMeta[]): OracleResult {
  const any: ScoredImage[] = [];
  const first: ScoredImage[] = [];
  let correctPaths = 0;
  let n = 0;
  suite.forEach((meta, i) => {
    const r = readRecording(join(dir, `${sampleSeed(0, i, 0)}.bin`));
    n = r.n;
    const ok = decodeTokens(p.tokenizer, Array.from({ length: r.n }, (_, k) => prediction(r, k, r.steps - 1))).map((img) => evaluateImage(meta, detect(img)).correct);
    correctPaths += ok.filter(Boolean).length;
    any.push({ tag: meta.tag, promptKey: meta.prompt, correct: ok.some(Boolean) });
    first.push({ tag: meta.tag, promptKey: meta.prompt, correct: ok[0] });
  });
  const score = (rows: ScoredImage[]) => {
    const s = summarize(rows);
    return { overall: s.overall, by_tag: Object.fromEntries(TAGS.map((t) => [t, s.by_tag[t] ?? 0])) };
  };
  return { paths: n, images: suite.length, oracle: score(any), single: score(first), mean_correct_paths: correctPaths / suite.length };
}
