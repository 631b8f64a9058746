// The frontier's goal on hand-made curves: PARM at or above best-of-N at every NFE budget, with
// each curve linear in log NFE between its points and flat beyond its ends.
import assert from "node:assert/strict";
import { test } from "node:test";
import { compareAtBudgets, scoreAtBudget } from "../../src/eval/budget.js";

const curve = (...pts: [number, number][]) => pts.map(([nfe, score]) => ({ nfe, score }));
const near = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} != ${b}`);

test("a curve's score at a budget: linear in log NFE between points, flat beyond the ends", () => {
  const c = curve([144, 0.5], [36, 0.3], [72, 0.4]); // any order
  near(scoreAtBudget(c, 36), 0.3, "at a point");
  near(scoreAtBudget(c, 72), 0.4, "at a point");
  near(scoreAtBudget(c, 36 * Math.SQRT2), 0.35, "half way in log NFE");
  near(scoreAtBudget(c, 100), 0.4 + 0.1 * Math.log2(100 / 72), "between 72 and 144");
  near(scoreAtBudget(c, 10), 0.3, "below the first point: its score");
  near(scoreAtBudget(c, 1000), 0.5, "beyond the last point: its score");
  assert.throws(() => scoreAtBudget([], 36), /empty/);
});

test("PARM at or above best-of-N at every budget, and three ways to miss it", () => {
  const bestOfN = curve([36, 0.3], [72, 0.4], [144, 0.5], [288, 0.55]);
  const ahead = compareAtBudgets(curve([36, 0.3], [60, 0.42], [100, 0.5], [180, 0.56]), bestOfN);
  assert.equal(ahead.parm_at_or_above_best_of_n, true);
  assert.deepEqual(ahead.budgets.map((b) => b.nfe), [36, 60, 72, 100, 144, 180, 288], "compared at every point of either curve");
  near(ahead.worst_margin, 0, "equal at the shared first point");
  const at288 = ahead.budgets.find((b) => b.nfe === 288)!;
  near(at288.parm, 0.56, "PARM held at its last point on a larger budget");
  near(at288.margin, 0.01, "margin = PARM - best-of-N");

  // above best-of-N at its own two points, below it at best-of-N's point in between
  const between = compareAtBudgets(curve([36, 0.3], [288, 0.6]), curve([36, 0.3], [72, 0.5], [288, 0.6]));
  assert.equal(between.parm_at_or_above_best_of_n, false);
  near(between.worst_margin, 0.4 - 0.5, "at 72: PARM's line gives .4 (a third of the way in log NFE)");

  // PARM's largest N stops short of best-of-N's largest budget, and scores less than it
  const short = compareAtBudgets(curve([36, 0.3], [100, 0.6]), curve([36, 0.3], [288, 0.65]));
  assert.equal(short.parm_at_or_above_best_of_n, false);
  near(short.worst_margin, -0.05, "at 288 PARM stays at .6");

  // a PARM point cheaper than best-of-N can run is held against best-of-N's cheapest score
  const cheap = compareAtBudgets(curve([36, 0.35], [144, 0.6]), curve([72, 0.4], [144, 0.5]));
  assert.equal(cheap.parm_at_or_above_best_of_n, false);
  near(cheap.worst_margin, -0.05, "at 36 best-of-N is credited its .4");

  // equal curves are at or above, despite rounding in the interpolation
  const same = curve([36, 0.1], [72, 0.7], [144, 0.3]);
  assert.equal(compareAtBudgets(same, same).parm_at_or_above_best_of_n, true);
});
