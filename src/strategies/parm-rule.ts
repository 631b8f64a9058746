// PARM's decision, one pure rule for the live strategy (./parm.ts) and for its replay from
// recorded verdicts (eval/replay.ts): when a path is clear enough to judge, when its potential
// cuts it, how many promising paths go on, which survivor is chosen, and which cut path is
// finished when none survives.
import { argmax } from "./common.js";

/** A path is judged for potential at its first step whose clarity P(yes) reaches this. */
export const CLEAR_AT = 0.5;
/** A path whose potential P(yes) is below this is cut at that step (`bench parm-val` measures others on held-out prompts). */
export const KEEP_FROM = 0.5;

/**
 * Once this many paths have passed the potential check, only the best of them by potential go
 * on and every other path stops there, those not yet clear included. The paper lets every
 * path that passes run to the end; on held-out training prompts that spends 0.87 of
 * best-of-N's generator passes for the same accuracy, while a budget of 2 spends 0.54, again
 * for the same accuracy (results/parm-val-survivors.json, chosen there).
 */
export const MAX_SURVIVORS = 2;

/** The tests of other thresholds (bench parm-val), one-argument so that they map and filter safely. */
export const clearBy = (clearAt: number) => (clarity: number): boolean => clarity >= clearAt;
export const cutBy = (keepFrom: number) => (potential: number): boolean => potential < keepFrom;
export const isClear = clearBy(CLEAR_AT);
export const isCut = cutBy(KEEP_FROM);

/** The survivor with the best outcome score (the first of equals). */
export function chooseSurvivor<T extends { outcome: number }>(survivors: readonly T[]): T {
  return survivors[argmax(survivors.map((s) => s.outcome))];
}

/**
 * No survivor: the cut path with the highest potential P(yes) (the lowest P(no)) is finished.
 * Equals go to the one cut first, then to the lower path id, as live PARM meets them.
 */
export function fallbackPath<T extends { id: number; step: number; pYes: number }>(cut: readonly T[]): T {
  const order = [...cut].sort((a, b) => a.step - b.step || a.id - b.id);
  return order[argmax(order.map((c) => c.pYes))];
}

/**
 * The paths that go on after a step: all of `passed` (every path past the potential check and
 * still live, in the order they passed: earlier step, then lower id) while fewer than
 * `maxSurvivors`; else the best `maxSurvivors` by potential P(yes), the earlier of equals, and
 * then every other path stops (`full`).
 */
export function survivorBudget<T extends { id: number; pYes: number }>(passed: readonly T[], maxSurvivors = MAX_SURVIVORS): { keep: T[]; full: boolean } {
  if (passed.length < maxSurvivors) return { keep: [...passed], full: false };
  const order = passed.map((p, k) => ({ p, k })).sort((a, b) => b.p.pYes - a.p.pYes || a.k - b.k);
  return { keep: order.slice(0, maxSurvivors).sort((a, b) => a.k - b.k).map((x) => x.p), full: true };
}
