// The strategies by name: a frozen table, and an error listing the valid names.
import { bestOfN } from "./best-of-n.js";
import { none } from "./none.js";
import { parmPlusPlus, parmPlusPlusNoReason } from "./parm-plus.js";
import { parm } from "./parm.js";
import { stepBestOfN } from "./step-best-of-n.js";
import type { Strategy } from "./strategy.js";

export const STRATEGIES: Readonly<Record<string, Strategy>> = Object.freeze(
  Object.fromEntries([none, bestOfN, stepBestOfN, parm, parmPlusPlus, parmPlusPlusNoReason].map((s) => [s.name, s])),
);

export function strategyByName(name: string): Strategy {
  const s = STRATEGIES[name];
  if (!s) throw new Error(`unknown strategy '${name}' (valid: ${Object.keys(STRATEGIES).join(", ")})`);
  return s;
}

export type { Strategy, StrategyContext, StrategyResult } from "./strategy.js";
