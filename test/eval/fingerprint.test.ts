// A suite folder belongs to the settings that made its images: the same ones resume, others are
// refused with what differs, and --restart starts over.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { type SuiteSettings, claimFolder, settingsTag } from "../../src/eval/fingerprint.js";
import { PARM_RULE } from "../../src/strategies/parm-rule.js";
import { InputError } from "../../src/util/errors.js";

const base: SuiteSettings = { generator: "a1", tokenizer: "t1", corrector: null, suite: "s1", strategy: "parm", rule: PARM_RULE, judge: "fine-tuned", replay: false, n: 20, images_per_prompt: 4, steps: 18, cfg: 1.75, temperature: 0.7, confidence_temperature: 4.5, seed: 0 };

test("a folder resumes with its own settings and refuses others; --restart deletes it first", () => {
  const dir = join(mkdtempSync(join(tmpdir(), "imagecot-fp-")), "run");
  claimFolder(dir, base);
  mkdirSync(join(dir, "00000"));
  writeFileSync(join(dir, "00000", "costs.json"), "[]");
  claimFolder(dir, { ...base }); // same settings: resume
  assert.ok(existsSync(join(dir, "00000", "costs.json")));
  for (const change of [{ generator: "b2" }, { n: 8 }, { strategy: "best-of-n" }, { suite: "s2" }, { judge: "zero-shot" }, { judge_weights: "retrained" }, { rule: { ...PARM_RULE, max_survivors: 2 } }, { cfg: 0 }]) {
    const key = Object.keys(change)[0];
    assert.throws(() => claimFolder(dir, { ...base, ...change }), (e: unknown) => e instanceof InputError && new RegExp(`${key}: .*--restart`).test((e as Error).message));
  }
  claimFolder(dir, { ...base, n: 8 }, true);
  assert.ok(!existsSync(join(dir, "00000")), "restart removed the old images");
  assert.throws(() => claimFolder(dir, base), /n: 8, now 20/);
});

test("a folder of other files is never claimed, so --restart never deletes it", () => {
  const dir = mkdtempSync(join(tmpdir(), "imagecot-fp-"));
  writeFileSync(join(dir, "notes.txt"), "mine");
  assert.throws(() => claimFolder(dir, base, true), /not empty and was not made by 'eval --suite'/);
  assert.ok(existsSync(join(dir, "notes.txt")));
});

test("default folder names differ with the settings", () => {
  assert.equal(settingsTag(base), settingsTag({ ...base }));
  assert.notEqual(settingsTag(base), settingsTag({ ...base, generator: "b2" }));
  assert.notEqual(settingsTag(base), settingsTag({ ...base, steps: 12 }));
});
