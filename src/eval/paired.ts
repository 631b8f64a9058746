// Paired comparison of two evaluation runs on the same prompts and seeds: the difference in
// GenEval's overall score (mean of per-tag accuracies) and the share of the baseline's error
// removed, with 95% intervals from a bootstrap over prompts (both runs resampled together).
import { TAGS, type Tag } from "../geneval/types.js";
import { BOOTSTRAP_SEED, RESAMPLES, bootstrap, interval95 } from "../util/bootstrap.js";

/** Per image, in (prompt, sample) order: whether it was correct. Tags are per prompt. */
export interface ImageOutcomes {
  tags: Tag[]; // per prompt
  imagesPerPrompt: number;
  correct: string; // "0"/"1" per image, prompt-major
}

/** Overall score of a run restricted to the given prompt multiset. */
function overall(o: ImageOutcomes, prompts: readonly number[]): number {
  const right = new Map<Tag, number>();
  const total = new Map<Tag, number>();
  for (const p of prompts) {
    const tag = o.tags[p];
    for (let s = 0; s < o.imagesPerPrompt; s++) {
      total.set(tag, (total.get(tag) ?? 0) + 1);
      if (o.correct[p * o.imagesPerPrompt + s] === "1") right.set(tag, (right.get(tag) ?? 0) + 1);
    }
  }
  const tags = TAGS.filter((t) => total.has(t));
  return tags.reduce((a, t) => a + (right.get(t) ?? 0) / total.get(t)!, 0) / tags.length;
}

export interface PairedComparison {
  base: number;
  score: number;
  diff: number;
  diff_ci95: [number, number];
  error_removed: number;
  error_removed_ci95: [number, number];
  resamples: number;
}

/**
 * Compares `run` with `base` over the prompts both cover, pairing (prompt, sample); a run with
 * fewer images per prompt is compared on the base's first samples of each prompt.
 */
export function pairedComparison(base: ImageOutcomes, run: ImageOutcomes, resamples = RESAMPLES, seed = BOOTSTRAP_SEED): PairedComparison {
  if (base.tags.length !== run.tags.length || base.tags.some((t, i) => t !== run.tags[i])) throw new Error("the two runs cover different prompts");
  const k = Math.min(base.imagesPerPrompt, run.imagesPerPrompt);
  const cut = (o: ImageOutcomes): ImageOutcomes => ({
    tags: o.tags,
    imagesPerPrompt: k,
    correct: o.tags.map((_, p) => o.correct.slice(p * o.imagesPerPrompt, p * o.imagesPerPrompt + k)).join(""),
  });
  const [b, r] = [cut(base), cut(run)];
  const all = b.tags.map((_, p) => p);
  const removed = (sb: number, sr: number) => (sr - sb) / (1 - sb);
  const [sb, sr] = [overall(b, all), overall(r, all)];
  const draws = bootstrap(all.length, resamples, seed, (pick) => {
    const [xb, xr] = [overall(b, pick), overall(r, pick)];
    return { diff: xr - xb, share: removed(xb, xr) };
  });
  return {
    base: sb,
    score: sr,
    diff: sr - sb,
    diff_ci95: interval95(draws.map((d) => d.diff)),
    error_removed: removed(sb, sr),
    error_removed_ci95: interval95(draws.map((d) => d.share)),
    resamples,
  };
}
