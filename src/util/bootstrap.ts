// Percentile bootstrap over units (a suite's prompts, a held-out set's prompts): 95% intervals
// of statistics whose units are not independent below that level (a prompt's images, its paths).
import { mulberry32, randInt } from "./prng.js";

/** The resamples and seed of every interval the project reports (the same draws on a rerun). */
export const RESAMPLES = 2000;
export const BOOTSTRAP_SEED = 1;

/** The statistic on `resamples` resamplings, with replacement, of the units 0..n-1. */
export function bootstrap<T>(n: number, resamples: number, seed: number, statistic: (pick: readonly number[]) => T): T[] {
  const rng = mulberry32(seed);
  return Array.from({ length: resamples }, () => statistic(Array.from({ length: n }, () => randInt(rng, n))));
}

/** 95% interval of mean(a) - mean(b), a[i] and b[i] measured on the same unit i (resampled together). */
export function pairedDifferenceInterval(a: readonly number[], b: readonly number[]): [number, number] {
  if (a.length !== b.length || a.length === 0) throw new Error(`pairedDifferenceInterval: ${a.length} and ${b.length} values, not the same units`);
  return interval95(bootstrap(a.length, RESAMPLES, BOOTSTRAP_SEED, (pick) => pick.reduce((s, i) => s + a[i] - b[i], 0) / pick.length));
}

/** The 2.5% and 97.5% quantiles of the values: the sorted value at index round(q (n - 1)). */
export function interval95(values: readonly number[]): [number, number] {
  const sorted = [...values].sort((x, y) => x - y);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];
  return [at(0.025), at(0.975)];
}
