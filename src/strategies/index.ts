// The strategies by name: a frozen table, and an error listing the valid names.
import { none } from "./none.js";
import type { Strategy } from "./strategy.js";

export const STRATEGIES: Readonly<Record<string, Strategy>> = Object.freeze({ none });

export function strategyByName(name: string): Strategy {
  const s = STRATEGIES[name];
  if (!s) throw new Error(`unknown strategy '${name}' (valid: ${Object.keys(STRATEGIES).join(", ")})`);
  return s;
}

export type { Strategy, StrategyContext, StrategyResult } from "./strategy.js";
