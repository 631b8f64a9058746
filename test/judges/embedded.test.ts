// The embedded judges on tiny networks: batching, question handling, reflection from the heads,
// and a short training run whose weights load back to the same answers.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parsePrompt } from "../../src/geneval/observe.js";
import { EmbeddedJudge, loadJudgeNet } from "../../src/judges/embedded.js";
import { cleanExamples } from "../../src/judges/examples.js";
import type { JudgeRequest } from "../../src/judges/judge.js";
import { JudgeNet, type JudgeNetConfig } from "../../src/judges/model.js";
import { trainJudge } from "../../src/judges/train.js";
import { readTrainLog } from "../../src/train/log.js";
import { VOCAB } from "../../src/tokenizer/text.js";
import { manualSeed, noGrad, tensor, tidy } from "../../src/torch/index.js";
import { judgeInput } from "../../src/judges/train.js";

const config: JudgeNetConfig = { textVocab: VOCAB.length, maxText: 16, imageSize: 64, channels: [8, 8, 16], dModel: 16, layers: 1, heads: 2, questions: 4, stepBuckets: 19 };
manualSeed(0);
const images = cleanExamples(3, 0, 6, 64).map((e) => e.image as import("../../src/shapes/image.js").RGBImage);
const prompt = "a photo of two circles";

test("judge answers every request in order, the same alone as in a batch", async () => {
  const judge = new EmbeddedJudge("t", new JudgeNet(config).eval(), false);
  const requests: JudgeRequest[] = images.map((image, i) => ({ question: (["outcome", "process", "clarity", "potential"] as const)[i % 4], prompt, image, step: i, steps: 18 }));
  const batch = await judge.judge(requests);
  assert.equal(batch.length, requests.length);
  for (const [i, r] of requests.entries()) {
    const [alone] = await judge.judge([r]);
    assert.ok(Math.abs(alone.pYes - batch[i].pYes) < 1e-5);
    assert.ok(alone.pYes > 0 && alone.pYes < 1);
  }
});

test("the zero-shot judge asks every question as the outcome question; the fine-tuned one does not", async () => {
  const net = new JudgeNet(config).eval();
  const ask = (j: EmbeddedJudge) => j.judge((["outcome", "process", "clarity", "potential"] as const).map((question) => ({ question, prompt, image: images[0], step: 5, steps: 18 })));
  const zero = (await ask(new EmbeddedJudge("zero-shot", net, true))).map((v) => v.pYes);
  assert.ok(zero.every((p) => Math.abs(p - zero[0]) < 1e-6), `${zero}`);
  const tuned = (await ask(new EmbeddedJudge("fine-tuned", net, false))).map((v) => v.pYes);
  assert.ok(new Set(tuned.map((p) => p.toFixed(6))).size > 1, `${tuned}`);
});

test("reflect turns the heads' observation into a reason, and says nothing when the answer is yes", async () => {
  const net = new JudgeNet(config).eval();
  // heads that ignore their input: "no", three of the first object, white
  noGrad(() => {
    for (const head of [net.yesHead, net.countHead, net.colorHead, net.relationHead]) head.weight.copy_(tensor(new Float32Array(head.weight.numel), head.weight.shape));
    net.yesHead.bias!.copy_(tensor([-3], [1]));
    const counts = new Float32Array(12);
    counts[3] = 5; // slot 0: three
    counts[6 + 1] = 5; // slot 1: one
    net.countHead.bias!.copy_(tensor(counts, [12]));
  });
  const judge = new EmbeddedJudge("fine-tuned", net, false);
  const r = await judge.reflect(prompt, images[0]);
  assert.ok(r.pYes < 0.1);
  assert.equal(r.reason, "expected two circles , found three");
  assert.equal((await judge.reflect("a photo of a circle and a star", images[0])).reason, "expected a circle , found zero", "counts read fine, yet no: the cheapest count to fail (the first of two as cheap)");
  noGrad(() => net.yesHead.bias!.copy_(tensor([3], [1])));
  assert.deepEqual(await judge.reflect(prompt, images[0]), { pYes: (await judge.judge([{ question: "outcome", prompt, image: images[0] }]))[0].pYes, reason: null });
  // the reading behind those reasons, whatever the answer
  assert.deepEqual(judge.read([{ meta: parsePrompt("a photo of a circle and a star"), image: images[0] }])[0].counts, [3, 1]);
});

test("a batch reads and answers each row as alone", async () => {
  manualSeed(4);
  const net = new JudgeNet(config).eval();
  // heads that see their input strongly, so that rows read differently
  noGrad(() => {
    for (const head of [net.countHead, net.colorHead, net.relationHead]) head.weight.copy_(head.weight.mul(50));
  });
  const judge = new EmbeddedJudge("fine-tuned", net, false);
  const rows = [
    { meta: parsePrompt("a photo of two circles"), image: images[0] },
    { meta: parsePrompt("a photo of a circle and a star"), image: images[1] },
    { meta: parsePrompt("a photo of a red star"), image: images[2] },
  ];
  const batch = judge.answerAndRead(rows);
  const alone = rows.map((r) => judge.answerAndRead([r])[0]);
  assert.ok(new Set(alone.map((r) => JSON.stringify(r.reading))).size > 1 && new Set(alone.map((r) => r.pYes)).size > 1, "precondition: the rows read and answer differently");
  assert.deepEqual(batch.map((r) => r.reading), alone.map((r) => r.reading));
  batch.forEach((r, i) => assert.ok(Math.abs(r.pYes - alone[i].pYes) < 1e-5, `row ${i}`));
  assert.deepEqual(judge.read(rows), batch.map((r) => r.reading));
  const asked = await judge.judge(rows.map((r) => ({ question: "outcome" as const, prompt: r.meta.prompt, image: r.image })));
  batch.forEach((r, i) => assert.ok(Math.abs(r.pYes - asked[i].pYes) < 1e-5, `row ${i}: the outcome answer`));
});

test("a short training run lowers the loss and its weights load back to the same answers", async () => {
  const dir = mkdtempSync(join(tmpdir(), "judge-"));
  const net = trainJudge(
    { kind: "zero-shot", runDir: dir, out: join(dir, "w.safetensors"), steps: 40, batch: 16, lr: 2e-3, seed: 1, config, examples: (s) => cleanExamples(1, s, 16, 64), heldOut: cleanExamples(2, 0, 32, 64), checkpointEvery: 20, logEvery: 10, results: join(dir, "summary.json") },
    null,
  );
  const log = readTrainLog(join(dir, "log.jsonl"));
  assert.equal(log.length, 4);
  assert.ok(log[3].loss < log[0].loss, `loss ${log.map((e) => e.loss.toFixed(3))}`);
  const loaded = loadJudgeNet(join(dir, "w.safetensors"));
  assert.equal(loaded.kind, "zero-shot");
  const req = [{ question: "outcome" as const, prompt, image: images[1] }];
  const [a] = await new EmbeddedJudge("a", net, true).judge(req);
  const [b] = await new EmbeddedJudge("b", loaded.net, true).judge(req);
  assert.equal(a.pYes, b.pYes);
});

test("the image tower's gradient is exact: none when the answer cannot see the image, the same on every pass", () => {
  // regression: a Linear after the patch transpose sent libtorch 1.13's GroupNorm backward a non-contiguous gradient it misread
  const grads = (layers: number) => {
    manualSeed(2);
    const net = new JudgeNet({ ...config, layers }).eval();
    tidy(() => net.forward(judgeInput(net, images, images.map(() => ({ prompt, question: 0 })))).yes.sum().backward());
    return net.stages.items[0].down.weight.grad!.abs().sum().item();
  };
  assert.equal(grads(0), 0, "without attention the question token never reads the patches");
  const once = grads(1);
  assert.ok(once > 0 && Number.isFinite(once));
  assert.equal(grads(1), once);
  assert.equal(grads(1), once);
});
