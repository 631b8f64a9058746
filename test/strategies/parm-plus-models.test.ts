// Which generator PARM++ regenerates on: parm++ on the self-correction generator trained with
// reasons, parm++-no-reason on the one trained without when it is loaded, else on the first.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { EmbeddedStepGenerator } from "../../src/generator/embedded-steps.js";
import { MaskedGenerator } from "../../src/generator/model.js";
import { type Pipeline, correctorFor } from "../../src/generator/pipeline.js";
import type { Judge, JudgeRequest, Reflection, Verdict } from "../../src/judges/judge.js";
import { disposePipeline, loadPipeline } from "../../src/models/load.js";
import { strategyByName } from "../../src/strategies/index.js";
import { tokenizerId } from "../../src/tokenizer/id.js";
import { manualSeed } from "../../src/torch/index.js";
import { saveWeights } from "../../src/train/checkpoint.js";
import { GEN_CONFIG, saveTiny } from "../align/tiny.js";

const prompt = "a photo of two red circles";
const sample = { steps: 3, cfg: 1.5, temperature: 1, confidenceTemperature: 4.5 };

/** Yes to every PARM question; no (with a reason) to the first reflection only. */
class OnceNo implements Judge {
  readonly name = "once-no";
  private reflections = 0;
  async judge(requests: readonly JudgeRequest[]): Promise<Verdict[]> {
    return requests.map(() => ({ pYes: 0.9 }));
  }
  async reflect(): Promise<Reflection> {
    return ++this.reflections === 1 ? { pYes: 0.1, reason: "expected two circles, found three" } : { pYes: 0.9, reason: null };
  }
}

/** Counts the forward passes of each model of the pipeline. */
function spy(p: Pipeline): Map<string, number> {
  const calls = new Map<string, number>();
  for (const k of ["generator", "corrector", "correctorNoReason"] as const) {
    const m = p[k];
    if (!m) continue;
    calls.set(k, 0);
    const forward = m.forward.bind(m);
    m.forward = (input) => (calls.set(k, calls.get(k)! + 1), forward(input));
  }
  return calls;
}

async function regenerationsOf(p: Pipeline, strategy: string): Promise<Record<string, number>> {
  const calls = spy(p);
  const [r] = await strategyByName(strategy).run({ generator: new EmbeddedStepGenerator(p), n: 2, judge: new OnceNo(), sample }, prompt, [5]);
  assert.equal((r.trace.rounds as unknown[]).length, 2, "one regeneration");
  return Object.fromEntries(calls);
}

/** A self-correction generator file of the tiny tokenizer, trained (as its metadata says) with these reasons. */
function corrector(dir: string, name: string, reasons: string, seed: number, tokenizer: string): string {
  manualSeed(seed);
  const file = join(dir, name);
  saveWeights(file, new MaskedGenerator(GEN_CONFIG).eval(), { ...GEN_CONFIG, tokenizer }, { kind: "self-correction", reasons });
  return file;
}

test("parm++-no-reason loads and regenerates on the model trained without reasons; parm++ on the one trained with them", async () => {
  const dir = mkdtempSync(join(tmpdir(), "imagecot-parmpp-"));
  const tiny = saveTiny(dir);
  const probe = loadPipeline(tiny.generator, tiny.tokenizer);
  const tok = tokenizerId(probe.tokenizer);
  disposePipeline(probe);
  const withReasons = corrector(dir, "generator-sc.safetensors", "judge", 21, tok);
  const without = corrector(dir, "generator-sc-no-reason.safetensors", "none", 22, tok);
  const p = loadPipeline(tiny.generator, tiny.tokenizer, withReasons, without);
  assert.ok(p.correctorNoReason, "the no-reason model is loaded when present");
  // the first round (PARM from the prompt) is the base generator's; the regeneration is the corrector's
  const ablation = await regenerationsOf(p, "parm++-no-reason");
  assert.ok(ablation.generator > 0 && ablation.correctorNoReason > 0, JSON.stringify(ablation));
  assert.equal(ablation.corrector, 0, "the model trained with reasons is not used without one");
  disposePipeline(p);
  const q = loadPipeline(tiny.generator, tiny.tokenizer, withReasons, without);
  const reasoned = await regenerationsOf(q, "parm++");
  assert.ok(reasoned.corrector > 0 && reasoned.correctorNoReason === 0, JSON.stringify(reasoned));
  disposePipeline(q);
});

test("without a no-reason model, parm++-no-reason falls back to the model trained with reasons, then to the base generator", async () => {
  const dir = mkdtempSync(join(tmpdir(), "imagecot-parmpp-"));
  const tiny = saveTiny(dir);
  // (no model ships at the default no-reason path)
  const p = loadPipeline(tiny.generator, tiny.tokenizer);
  const tok = tokenizerId(p.tokenizer);
  const only = loadPipeline(tiny.generator, tiny.tokenizer, corrector(dir, "generator-sc.safetensors", "judge", 21, tok));
  assert.equal(only.correctorNoReason, undefined);
  assert.equal(correctorFor(only, ""), only.corrector);
  assert.equal(correctorFor(only, "expected two circles , found three"), only.corrector);
  const fallback = await regenerationsOf(only, "parm++-no-reason");
  assert.ok(fallback.corrector > 0, JSON.stringify(fallback));
  assert.equal(correctorFor({ generator: p.generator, tokenizer: p.tokenizer }, ""), p.generator);
  // a reason with no word the generator knows is no reason: the no-reason model, when loaded
  const both = { ...only, correctorNoReason: p.generator };
  assert.equal(correctorFor(both, "zzz qqq"), p.generator);
  assert.equal(correctorFor(both, "found three"), only.corrector);
  disposePipeline(only);
  disposePipeline(p);
});
