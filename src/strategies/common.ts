// Small pieces the judging strategies share.
import type { Judge } from "../judges/judge.js";
import type { StrategyContext } from "./strategy.js";

export function requireJudge(ctx: StrategyContext, strategy: string): Judge {
  if (!ctx.judge) throw new Error(`strategy '${strategy}' needs a judge (--judge)`);
  return ctx.judge;
}

/** Index of the largest value (the first one on ties). */
export function argmax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
}
