// The judges' ranking objective: a judge must order a prompt's paths, not sort prompts. Over
// every (right, wrong) pair of examples in the same group (paths of one prompt, asked the same
// question), the Bradley-Terry loss -log sigmoid(s_right - s_wrong) on the yes logits.
import { type Tensor, tensor, tidy } from "../torch/index.js";
import { BOOTSTRAP_SEED, RESAMPLES, bootstrap, interval95 } from "../util/bootstrap.js";

/** Every (right, wrong) pair of indices within a group: group[i] names example i's group. */
export function rankingPairs(groups: readonly number[], yes: readonly boolean[]): { right: number[]; wrong: number[] } {
  const right: number[] = [];
  const wrong: number[] = [];
  groups.forEach((g, i) =>
    groups.forEach((h, j) => {
      if (g === h && yes[i] && !yes[j]) {
        right.push(i);
        wrong.push(j);
      }
    }),
  );
  return { right, wrong };
}

/**
 * Mean over the pairs of -log sigmoid(logits[right] - logits[wrong]); logits (B). Null when no
 * group holds both a right and a wrong example (the batch teaches no order).
 */
export function pairwiseRankingLoss(logits: Tensor, groups: readonly number[], yes: readonly boolean[]): Tensor | null {
  if (logits.shape.length !== 1 || logits.size(0) !== groups.length || groups.length !== yes.length)
    throw new Error(`pairwiseRankingLoss: logits ${logits.shape.join("x")}, ${groups.length} groups and ${yes.length} labels must agree`);
  const { right, wrong } = rankingPairs(groups, yes);
  if (right.length === 0) return null;
  return tidy(() => {
    const r = logits.indexSelect(0, tensor(right, [right.length], "int64")); // (P)
    const w = logits.indexSelect(0, tensor(wrong, [wrong.length], "int64")); // (P)
    return r.sub(w).logSigmoid().neg().mean();
  });
}

/**
 * How often a right example scores above a wrong one of its group (ties count half), with a 95%
 * interval from a bootstrap over the groups (a prompt's paths are one unit); null without pairs.
 */
export function pairwiseAccuracy(scores: readonly number[], groups: readonly number[], yes: readonly boolean[]): { accuracy: number; pairs: number; ci95: [number, number] } | null {
  const { right, wrong } = rankingPairs(groups, yes);
  if (right.length === 0) return null;
  // per group with pairs: [won, pairs]
  const byGroup = new Map<number, [number, number]>();
  right.forEach((i, k) => {
    const tally = byGroup.get(groups[i]) ?? [0, 0];
    tally[0] += scores[i] > scores[wrong[k]] ? 1 : scores[i] === scores[wrong[k]] ? 0.5 : 0;
    tally[1] += 1;
    byGroup.set(groups[i], tally);
  });
  const tallies = [...byGroup.values()];
  const share = (pick: readonly number[]) => pick.reduce((a, g) => a + tallies[g][0], 0) / pick.reduce((a, g) => a + tallies[g][1], 0);
  const all = tallies.map((_, g) => g);
  return { accuracy: share(all), pairs: right.length, ci95: interval95(bootstrap(tallies.length, RESAMPLES, BOOTSTRAP_SEED, share)) };
}
