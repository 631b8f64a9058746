// The frontier's goal as a test (issue 13): is PARM at or above best-of-N at every NFE budget?
// Each method is measured only at its own points (its mean NFE per image at each N), so between
// them a curve is read as the frontier chart draws it: linear in log NFE. Beyond its ends a
// curve is held flat: a method scores no better than its largest recorded N on a larger
// budget, and best-of-N is credited its N=1 score even on a budget too small to run it (which
// can only make the test harder for PARM). Both curves being piecewise linear between the union
// of their points, comparing at that union compares them at every budget.

/** A method's measured points: mean NFE per image (above 0) and overall score. */
export type Curve = readonly { nfe: number; score: number }[];

export const BUDGET_RULE =
  "both curves linear in log(NFE) between their points and flat beyond their ends; compared at every point of either, which covers every budget";

/** Margins above this count as at or above: the interpolation's rounding, not a difference. */
const TOLERANCE = 1e-9;

/** A curve's score at an NFE budget, by the rule above. */
export function scoreAtBudget(curve: Curve, nfe: number): number {
  if (curve.length === 0) throw new Error("scoreAtBudget: an empty curve");
  const c = [...curve].sort((a, b) => a.nfe - b.nfe);
  if (nfe <= c[0].nfe) return c[0].score;
  const last = c[c.length - 1];
  if (nfe >= last.nfe) return last.score;
  const i = c.findIndex((p) => p.nfe > nfe) - 1; // c[i].nfe <= nfe < c[i + 1].nfe
  const w = Math.log(nfe / c[i].nfe) / Math.log(c[i + 1].nfe / c[i].nfe);
  return c[i].score + w * (c[i + 1].score - c[i].score);
}

export interface BudgetComparison {
  rule: string;
  parm_at_or_above_best_of_n: boolean;
  /** the smallest margin (PARM minus best-of-N) over the budgets compared */
  worst_margin: number;
  budgets: { nfe: number; parm: number; best_of_n: number; margin: number }[];
}

export function compareAtBudgets(parm: Curve, bestOfN: Curve): BudgetComparison {
  const nfes = [...new Set([...parm, ...bestOfN].map((p) => p.nfe))].sort((a, b) => a - b);
  const budgets = nfes.map((nfe) => {
    const [p, b] = [scoreAtBudget(parm, nfe), scoreAtBudget(bestOfN, nfe)];
    return { nfe, parm: p, best_of_n: b, margin: p - b };
  });
  const worst = Math.min(...budgets.map((b) => b.margin));
  return { rule: BUDGET_RULE, parm_at_or_above_best_of_n: worst >= -TOLERANCE, worst_margin: worst, budgets };
}
