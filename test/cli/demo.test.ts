// `imagecot demo` on a tiny untrained pipeline and a scripted reflecting judge: the files it
// writes, the rounds and costs in its traces, and what its report shows.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { type DemoProgress, demoPrompts, runDemo } from "../../src/cli/demo.js";
import { UserError } from "../../src/cli/run.js";
import type { Judge, JudgeRequest, Reflection, Verdict } from "../../src/judges/judge.js";
import { readMetadataFile } from "../../src/geneval/metadata.js";
import { decodePng } from "../../src/shapes/image.js";
import { MAX_SURVIVORS } from "../../src/strategies/parm-rule.js";
import { TEST_SUITE_FILE } from "../../src/shapes/train-prompts.js";
import { tinyPipeline } from "../fixtures/tiny.js";

const { generator, tokenizer } = tinyPipeline();
const T = 6;
const N = 4;
const REASON = "expected two red circles , found three";

/** Clear from step 2, every potential yes; reflections fail `failing` times (over all prompts), then pass. */
class ScriptedJudge implements Judge {
  readonly name = "scripted";
  calls = 0;
  reflections = 0;
  constructor(private readonly failing: number) {}
  async judge(requests: readonly JudgeRequest[]): Promise<Verdict[]> {
    this.calls += requests.length;
    return requests.map((r) => ({ pYes: r.question === "clarity" ? (r.step! >= 2 ? 0.9 : 0.1) : 0.8 }));
  }
  async reflect(): Promise<Reflection> {
    this.reflections++;
    return this.reflections <= this.failing ? { pYes: 0.2, reason: REASON } : { pYes: 0.9, reason: null };
  }
}

describe("imagecot demo", () => {
  const root = mkdtempSync(join(tmpdir(), "imagecot-demo-"));
  after(() => rmSync(root, { recursive: true, force: true }));

  it("writes each prompt's chosen image, round images and trace, and a report of every round", async () => {
    const out = join(root, "demo");
    const judge = new ScriptedJudge(2); // the first prompt takes two corrections, the second none
    const prompts = demoPrompts(["a photo of two red circles", "a photo of a star"], 3, 0);
    const progress: DemoProgress[] = [];
    const r = await runDemo({ generator, tokenizer }, judge, { out, prompts, n: N, steps: T, seed: 5, judgeName: "scripted", date: "2026-01-01", onProgress: (p) => progress.push(p) });

    assert.equal(r.report, join(out, "index.html"));
    assert.deepEqual(r.prompts.map((p) => p.rounds), [3, 1]);
    const done = progress.filter((p) => p.done);
    assert.deepEqual(done.map((p) => [p.prompt, p.round]), [[0, 2], [1, 0]], "each prompt's end, after its last round");
    assert.deepEqual(progress.filter((p) => p.prompt === 0 && p.round === 1).map((p) => p.step), [0, 1, 2, 3, 4, 5], "every step of a correction round");
    assert.equal(r.corrector, false);
    for (const [i, p] of r.prompts.entries()) {
      assert.equal(p.image, join(out, `0${i}`, "chosen.png"));
      assert.equal(decodePng(readFileSync(p.image)).width, 16);
      assert.equal(p.round_images.length, p.rounds);
      for (const f of p.round_images) assert.ok(existsSync(f), f);
      // the last round's image is the chosen one
      assert.deepEqual(readFileSync(p.round_images[p.rounds - 1]), readFileSync(p.image));
      assert.ok(p.detector !== null, "template prompts are scored by the detector");
    }
    assert.equal(judge.reflections, 4, "three on the first prompt, one on the second");

    const trace = JSON.parse(readFileSync(r.prompts[0].trace, "utf8"));
    assert.equal(trace.strategy, "parm++");
    assert.equal(trace.seed, 5);
    assert.equal(trace.trace.rounds.length, 3);
    assert.equal(trace.trace.rounds[1].reason, REASON);
    assert.deepEqual(trace.images.rounds, ["round-0.png", "round-1.png", "round-2.png"]);
    const byRound = trace.cost_by_round as { nfe: number; judge_calls: number }[];
    assert.equal(byRound.reduce((a, c) => a + c.nfe, 0), trace.nfe, "round costs add up to the image's NFE");
    assert.equal(byRound.reduce((a, c) => a + c.judge_calls, 0), trace.judge_calls, "and to its judge calls");
    // every potential passes at step 2: the survivor budget's paths run to the end, the others stop there (both CFG halves)
    assert.equal(byRound[0].nfe, (MAX_SURVIVORS * T + (N - MAX_SURVIVORS) * 3) * 2);
    assert.equal(r.prompts.reduce((a, p) => a + p.judge_calls, 0), judge.calls + judge.reflections);

    const html = readFileSync(r.report, "utf8");
    assert.match(html, /<title>imagecot demo<\/title>/);
    assert.match(html, /a photo of two red circles/);
    assert.match(html, /a photo of a star/);
    assert.match(html, /expected two red circles , found three/, "the reflection's reason");
    assert.match(html, /the prompt, the previous image and the reason/, "what a correction round regenerated from");
    assert.match(html, /judged correct, kept/);
    assert.match(html, new RegExp(`${N - MAX_SURVIVORS} of ${N} paths? cut \\(after step 2\\); chose path \\d`), "PARM's selection, as the evaluation report words it");
    assert.match(html, new RegExp(`NFE ${r.prompts[0].nfe}, ${r.prompts[0].judge_calls} judge calls`));
    assert.equal(html.match(/<figure class="(ok|bad)( large)?">/g)?.length, 2, "one framed final image per prompt");
    assert.equal(html.match(/data:image\/png;base64,/g)?.length, 2 + 3 + 1, "finals and every round's image, inline");
  });

  it("draws distinct training prompts, never test prompts, and rejects unknown words", () => {
    const test = new Set(readMetadataFile(TEST_SUITE_FILE).map((m) => m.prompt));
    const drawn = demoPrompts([], 5, 3);
    assert.equal(drawn.length, 5);
    assert.equal(new Set(drawn.map((p) => p.prompt)).size, 5);
    assert.ok(drawn.every((p) => p.meta !== null && !test.has(p.prompt)));
    assert.deepEqual(demoPrompts([], 5, 3), drawn, "a pure function of the seed");
    assert.throws(() => demoPrompts(["a photo of two dragons"], 3, 0), (e) => e instanceof UserError && e.exitCode === 2 && /unknown word 'dragons'/.test(e.message));
    assert.equal(demoPrompts(["two circles"], 3, 0)[0].meta, null, "not a template: generated but not scored");
  });
});
