// Whether a row's results file was made under the shipped strategy's rule (PARM's survivor budget,
// src/strategies/parm-rule.ts), so that the row scripts remake a row made under another rule
// instead of taking it as done. A PARM row's file that records no rule was made before runs
// recorded it (commit f4cb2be): which rule made it is not known, so it is never the shipped one's
// (the row scripts' rows of then ran 2 survivors).
// Usage: node scripts/row-rule.mjs FILE   exit 0 when the same rule, 3 with a line saying why not,
//        2 when FILE is not a row's results file (rows-13.sh imports ruleMismatch instead)
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { STRATEGIES } from "../dist/src/strategies/index.js";
import { sameRule } from "../dist/src/strategies/parm-rule.js";

/** null when `settings` (a results file's) name the shipped rule of their strategy, else why not. */
export function ruleMismatch(settings) {
  const rule = STRATEGIES[settings.strategy]?.rule ?? null;
  if (rule && !("rule" in settings)) return `rule unrecorded (made before commit f4cb2be, when the row scripts' PARM rows ran 2 survivors), now ${JSON.stringify(rule)}`;
  return sameRule(settings.rule, rule) ? null : `rule ${JSON.stringify(settings.rule)}, now ${JSON.stringify(rule)}`;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2];
  const settings = file ? JSON.parse(readFileSync(file, "utf8")).settings : undefined;
  if (typeof settings?.strategy !== "string") {
    console.error(file ? `${file}: no settings.strategy: not a row's results file` : "usage: node scripts/row-rule.mjs FILE");
    process.exit(2);
  }
  const why = ruleMismatch(settings);
  if (why) {
    console.log(why);
    process.exit(3);
  }
}
