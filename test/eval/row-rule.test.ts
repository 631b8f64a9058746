// The row scripts' check (scripts/row-rule.mjs): a results file made under another PARM rule than
// the shipped one is another run's, so rows-13.sh and dpo-14.sh remake it instead of taking it as done.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_SURVIVORS, PARM_RULE } from "../../src/strategies/parm-rule.js";

type RuleMismatch = (settings: { strategy: string; rule?: unknown }) => string | null;
// the script lives outside src/ (it reads the built dist/), so it is loaded as the scripts load it
// (from dist/test/eval/, where this file runs)
const { ruleMismatch } = (await import(new URL("../../../scripts/row-rule.mjs", import.meta.url).href)) as { ruleMismatch: RuleMismatch };

test("a row is the shipped rule's when its settings record that rule; a PARM row that records none never is", () => {
  assert.equal(ruleMismatch({ strategy: "parm", rule: PARM_RULE }), null);
  assert.equal(ruleMismatch({ strategy: "parm++-no-reason", rule: { ...PARM_RULE } }), null);
  assert.match(ruleMismatch({ strategy: "parm++", rule: { ...PARM_RULE, max_survivors: MAX_SURVIVORS + 1 } }) ?? "", new RegExp(`"max_survivors":${MAX_SURVIVORS + 1}\\}, now .*"max_survivors":${MAX_SURVIVORS}\\}$`));
  assert.match(ruleMismatch({ strategy: "parm" }) ?? "", /^rule unrecorded \(made before commit f4cb2be, .*\), now \{/);
  // strategies without a rule: none recorded, or null as eval records it, is theirs
  assert.equal(ruleMismatch({ strategy: "best-of-n" }), null);
  assert.equal(ruleMismatch({ strategy: "none", rule: null }), null);
  assert.match(ruleMismatch({ strategy: "none", rule: PARM_RULE }) ?? "", /now null$/);
});
