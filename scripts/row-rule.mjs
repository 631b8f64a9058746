// Whether a row's results file was made under the shipped strategy's rule (PARM's survivor budget,
// src/strategies/parm-rule.ts), so that the row scripts remake a row made under another rule
// instead of taking it as done. A file from before runs recorded their rule (session 37) was made
// with the survivor budget of then, 2.
// Usage: node scripts/row-rule.mjs FILE   exit 0 when the same rule, 3 with a line saying why not
//        (rows-13.sh imports ruleMismatch instead)
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { STRATEGIES } from "../dist/src/strategies/index.js";

const BEFORE_RECORDED = { clear_at: 0.5, keep_from: 0.5, max_survivors: 2 };

/** null when `settings` (a results file's) name the shipped rule of their strategy, else why not. */
export function ruleMismatch(settings) {
  const rule = STRATEGIES[settings.strategy]?.rule ?? null;
  const made = "rule" in settings ? settings.rule : rule && BEFORE_RECORDED;
  return JSON.stringify(made) === JSON.stringify(rule) ? null : `rule ${JSON.stringify(made)}, now ${JSON.stringify(rule)}`;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2];
  if (!file) {
    console.error("usage: node scripts/row-rule.mjs FILE");
    process.exit(2);
  }
  const why = ruleMismatch(JSON.parse(readFileSync(file, "utf8")).settings ?? {});
  if (why) {
    console.log(why);
    process.exit(3);
  }
}
