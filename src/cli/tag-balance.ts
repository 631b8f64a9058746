// The tag-balancing options of `data rank` and `train dpo` (src/align/balance.ts): one definition,
// so that a round ranked by either command is balanced with the same names, defaults and checks.
import { type Command, Option } from "commander";
import { DEFAULT_BALANCE, type TagBalance } from "../align/balance.js";
import { intOption, numberOption } from "./options.js";
import { UserError } from "./run.js";

export interface TagBalanceCliOptions {
  /** the round's pairs in all (extra prompts for the tags short of their share); no balancing without it */
  pairs?: number;
  minTagShare: number;
  maxStages: number;
}

/** Adds --pairs, --min-tag-share and --max-stages to `cmd`; `scope` prefixes their help ("ranked rounds: "). */
export function addTagBalanceOptions(cmd: Command, scope = ""): Command {
  return cmd
    .addOption(new Option("--pairs <n>", `${scope}tag balancing: the pairs the round needs; tags short of --min-tag-share of them get more prompts of their own, stage by stage`).argParser(intOption))
    .addOption(new Option("--min-tag-share <x>", `${scope}with --pairs: share of the pairs every tag must hold`).default(DEFAULT_BALANCE.minShare).argParser(numberOption))
    .addOption(new Option("--max-stages <n>", `${scope}with --pairs: stages of extra prompts at most`).default(DEFAULT_BALANCE.maxStages).argParser(intOption));
}

/** The balance the options ask for (undefined without --pairs); a share five tags cannot all hold is a usage error. */
export function tagBalanceOf(o: TagBalanceCliOptions): TagBalance | undefined {
  if (!(o.minTagShare > 0 && o.minTagShare * 5 <= 1)) throw new UserError("--min-tag-share must be above 0 and at most 0.2 (five tags have training prompts)");
  return o.pairs === undefined ? undefined : { ...DEFAULT_BALANCE, pairs: o.pairs, minShare: o.minTagShare, maxStages: o.maxStages };
}
