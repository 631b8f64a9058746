// A fine-tuned judge's held-out examples, and `bench judge`, which scores any judge file on them:
// the training summary's figures, so that judges trained apart compare alike.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { DEFAULT_SAMPLE } from "../../src/generator/sampler.js";
import { splitCollected } from "../../src/judges/collect.js";
import { heldOutPathExamples, mixedPrompts } from "../../src/judges/examples.js";
import { loadJudgeNet } from "../../src/judges/embedded.js";
import { JudgeNet, type JudgeNetConfig } from "../../src/judges/model.js";
import { scoreHeldOut } from "../../src/judges/train.js";
import { loadVQ } from "../../src/models/load.js";
import { SHAPE_CLASSES } from "../../src/shapes/world.js";
import { VOCAB } from "../../src/tokenizer/text.js";
import { manualSeed } from "../../src/torch/index.js";
import { saveWeights } from "../../src/train/checkpoint.js";
import { cli } from "../fixtures/cli.js";
import { collectedPaths } from "../fixtures/collected.js";
import { tinyPipeline, VQ_CONFIG } from "../fixtures/tiny.js";

const rules: JudgeNetConfig = { textVocab: VOCAB.length, maxText: 16, imageSize: VQ_CONFIG.imageSize, channels: [8, 8], dModel: 16, layers: 1, heads: 2, questions: 4, stepBuckets: 19, answer: "rules", classes: [...SHAPE_CLASSES] };
test("held-out examples: every mixed prompt's paths as an outcome and a potential group, then 2,048 single ones; the same seed draws the same", () => {
  const { heldOut } = splitCollected(collectedPaths(true));
  const T = DEFAULT_SAMPLE.steps;
  const a = heldOutPathExamples(heldOut, 1, T);
  const mixed = mixedPrompts(heldOut).length;
  assert.equal(mixed, 2);
  assert.equal(a.length, 2 * mixed * 4 + 2048);
  const groups = new Map<number, { question: string; prompts: Set<string>; yes: number }>();
  for (const e of a.filter((x) => x.group !== undefined)) {
    const g = groups.get(e.group!) ?? { question: e.question, prompts: new Set(), yes: 0 };
    g.prompts.add(e.meta.prompt);
    g.yes += Number(e.yes);
    groups.set(e.group!, g);
  }
  assert.deepEqual([...groups.values()].map((g) => [g.question, g.prompts.size, g.yes]), [["outcome", 1, 1], ["outcome", 1, 1], ["potential", 1, 1], ["potential", 1, 1]]);
  const key = (xs: typeof a) => JSON.stringify(xs.map((e) => [e.meta.prompt, e.question, e.step ?? -1, e.yes]));
  assert.equal(key(heldOutPathExamples(heldOut, 1, T)), key(a));
  assert.notEqual(key(heldOutPathExamples(heldOut, 2, T)), key(a));
});

test("bench judge scores a judge file on the held-out examples as its training summary would; bad input is one line and exit 2", async () => {
  const dir = mkdtempSync(join(tmpdir(), "bench-judge-"));
  const { tokenizer } = tinyPipeline();
  const vqFile = join(dir, "vq.safetensors");
  saveWeights(vqFile, tokenizer, VQ_CONFIG);
  manualSeed(3);
  const weights = join(dir, "judge.safetensors");
  saveWeights(weights, new JudgeNet(rules).eval(), rules, { kind: "fine-tuned" });
  for (const [name, rollouts] of [["paths", true], ["bare", false]] as const) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, "chunk-00000.json"), JSON.stringify({ prompts: collectedPaths(rollouts) }));
  }
  const out = join(dir, "figures.json");
  const r = await cli(["bench", "judge", "--data", join(dir, "paths"), "--weights", weights, "--tokenizer", vqFile, "--seed", "4", "--json", "--out", out]);
  assert.equal(r.code, 0, r.err);
  const printed = JSON.parse(r.out);
  assert.equal(printed.held_out_prompts, 2);
  const outcome = printed.held_out.by_question.find((q: { question: string }) => q.question === "outcome");
  assert.ok(outcome.ece >= 0 && outcome.ece <= 1, `ece ${outcome.ece}`);
  assert.equal(outcome.ranking.pairs, 2 * 3, "each held-out prompt: 1 right x 3 wrong finals");
  // the same figures as scoring the loaded judge directly on the same seed's examples
  const { net } = loadJudgeNet(weights);
  const direct = scoreHeldOut(net, heldOutPathExamples(splitCollected(collectedPaths(true)).heldOut, 4, DEFAULT_SAMPLE.steps), loadVQ(vqFile));
  assert.deepEqual(printed.held_out, JSON.parse(JSON.stringify(direct)));
  const written = JSON.parse(readFileSync(out, "utf8"));
  assert.deepEqual(written.judge.held_out, printed.held_out);
  assert.ok(written.git_commit && written.date, "with its provenance");
  for (const [args, message] of [
    [["--data", join(dir, "paths"), "--weights", join(dir, "none.safetensors")], /no judge weights at/],
    [["--data", join(dir, "bare"), "--weights", weights], /no path of the training prompts has Math-Shepherd rollouts/],
  ] as const) {
    const bad = await cli(["bench", "judge", ...args, "--tokenizer", vqFile]);
    assert.equal(bad.code, 2, bad.err);
    assert.match(bad.err, message);
    assert.equal(bad.err.trim().split("\n").length, 1);
  }
});
