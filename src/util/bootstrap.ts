// Percentile bootstrap over units (a suite's prompts, a held-out set's prompts): 95% intervals
// of statistics whose units are not independent below that level (a prompt's images, its paths).
import { mulberry32, randInt } from "./prng.js";

/** The statistic on `resamples` resamplings, with replacement, of the units 0..n-1. */
export function bootstrap<T>(n: number, resamples: number, seed: number, statistic: (pick: readonly number[]) => T): T[] {
  const rng = mulberry32(seed);
  return Array.from({ length: resamples }, () => statistic(Array.from({ length: n }, () => randInt(rng, n))));
}

/** The 2.5% and 97.5% quantiles of the values (nearest rank). */
export function interval95(values: readonly number[]): [number, number] {
  const sorted = [...values].sort((x, y) => x - y);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];
  return [at(0.025), at(0.975)];
}
