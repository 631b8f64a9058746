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
 * path that passes run to the end. On held-out training prompts' paths decoded by the shipped
 * sampler, with the shipped fine-tuned judge, a budget of 3 spends 0.58 of best-of-16's
 * generator passes at accuracy .940 (best-of-16: .944), the most accurate within the 0.6
 * target (2: 0.52 at .924; 4: 0.63 at .940) (results/parm-val-survivors-flat2.json, chosen there).
 */
export const MAX_SURVIVORS = 3;

/** The rule's constants, as a run's settings record them (images made under another rule are another run's). */
export const PARM_RULE: Readonly<Record<string, number>> = { clear_at: CLEAR_AT, keep_from: KEEP_FROM, max_survivors: MAX_SURVIVORS };

/** Whether two recorded rules are the same (absent and null alike: no rule). */
export const sameRule = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

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
 * The live paths the survivor budget stops after a step: none while fewer than `maxSurvivors`
 * of them have passed the potential check (`passed`: each with the step it passed at and its
 * potential P(yes)); else every live path but the best `maxSurvivors` passed ones by potential,
 * the earlier passed of equals, then the lower id.
 */
export function stoppedByBudget(live: readonly number[], passed: readonly { id: number; step: number; pYes: number }[], maxSurvivors = MAX_SURVIVORS): number[] {
  if (passed.length < maxSurvivors) return [];
  const keep = new Set([...passed].sort((a, b) => b.pYes - a.pYes || a.step - b.step || a.id - b.id).slice(0, maxSurvivors).map((p) => p.id));
  return live.filter((id) => !keep.has(id));
}
