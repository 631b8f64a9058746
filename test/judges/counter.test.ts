// A rules judge's counting head: a count read as a sum over the patches, trained on collected
// finals with the rest of the judge frozen (its answers unchanged), and read by the reflection.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { trainCounterCommand } from "../../src/cli/train-judge.js";
import { countingConfusion, renderedOf, symmetry } from "../../src/judges/train-counter.js";
import { cleanExamples } from "../../src/judges/examples.js";
import { writeRankedPrompt } from "../../src/align/rank.js";
import type { RGBImage } from "../../src/shapes/image.js";
import { UserError } from "../../src/cli/run.js";
import { DEFAULT_SAMPLE } from "../../src/generator/sampler.js";
import { EmbeddedJudge, loadJudgeNet } from "../../src/judges/embedded.js";
import { JudgeNet, type JudgeNetConfig } from "../../src/judges/model.js";
import { parsePrompt } from "../../src/geneval/observe.js";
import { SHAPE_CLASSES } from "../../src/shapes/world.js";
import { VOCAB } from "../../src/tokenizer/text.js";
import { manualSeed, noGrad, tensor, zeros } from "../../src/torch/index.js";
import { readTrainLog } from "../../src/train/log.js";
import { readWeightsConfig, saveWeights } from "../../src/train/checkpoint.js";
import { collectedPaths } from "../fixtures/collected.js";
import { tinyPipeline, VQ_CONFIG } from "../fixtures/tiny.js";

const rules: JudgeNetConfig = { textVocab: VOCAB.length, maxText: 16, imageSize: VQ_CONFIG.imageSize, channels: [8, 8], dModel: 16, layers: 1, heads: 2, questions: 4, stepBuckets: 19, answer: "rules", classes: [...SHAPE_CLASSES] };

test("the counting head reads a count as a sum over the patches: as many lit patches, as many counted", () => {
  manualSeed(1);
  const net = new JudgeNet({ ...rules, counter: { hidden: 2 } });
  const [K, H, D, P] = [SHAPE_CLASSES.length, 2, 16, 16];
  const v = 4; // a lit patch's value: gelu(4) is 4 within 1e-4
  noGrad(() => {
    // every class's first feature is a patch token's first value; the second stays 0
    const w = new Float32Array(K * H * D);
    for (let k = 0; k < K; k++) w[k * H * D] = 1;
    net.counterIn!.weight.copy_(tensor(w, [K * H, D]));
    net.counterIn!.bias!.copy_(zeros([K * H]));
    // logit_n = n s - v n^2 / 2 for the summed feature s = m v: largest at n = m
    const a = new Float32Array(6 * H);
    for (let n = 0; n < 6; n++) a[n * H] = n;
    net.counterOut!.weight.copy_(tensor(a, [6, H]));
    net.counterOut!.bias!.copy_(tensor(Array.from({ length: 6 }, (_, n) => (-v * n * n) / 2), [6]));
  });
  for (const m of [0, 1, 3, 5]) {
    const hp = new Float32Array(P * D);
    for (let p = 0; p < m; p++) hp[p * D] = v;
    const read = noGrad(() => net.countLogits(tensor(hp, [1, P, D])).argmax(2).toArray());
    assert.deepEqual(read, new Array(K).fill(m), `${m} lit patches`);
  }
  assert.throws(() => new JudgeNet({ ...rules, answer: "head", classes: undefined, counter: { hidden: 2 } }), /needs a rules judge/);
});

test("with answers set, the rules answer reads the counting head's counts", async () => {
  const px = { width: VQ_CONFIG.imageSize, height: VQ_CONFIG.imageSize, data: new Uint8Array(VQ_CONFIG.imageSize ** 2 * 3).fill(120) };
  const pYes = async (answers: boolean, m: number) => {
    manualSeed(3); // the same body every time
    const net = new JudgeNet({ ...rules, counter: { hidden: 2, answers } });
    // the head reads m of every class, whatever the image
    noGrad(() => {
      net.counterOut!.weight.copy_(zeros([6, 2]));
      net.counterOut!.bias!.copy_(tensor(Array.from({ length: 6 }, (_, n) => (n === m ? 30 : 0)), [6]));
    });
    const judge = new EmbeddedJudge("j", net.eval(), false);
    return (await judge.judge([{ question: "outcome", prompt: "a photo of two circles", image: px }]))[0].pYes;
  };
  assert.ok((await pYes(true, 2)) > 0.99, "two read: yes");
  assert.ok((await pYes(true, 3)) < 0.01, "three read: no");
  const [a, b] = [await pYes(false, 2), await pYes(false, 3)];
  assert.ok(Math.abs(a - b) < 1e-6, "without answers, the head does not move the answer");
});

test("the counting confusion counts each (detector -> reader) of counting's finals, most often first", () => {
  const row = (tag: string, detector: string, counter: string) => ({ tag, detector, counter, class_tokens: detector });
  const rows = [row("counting", "3", "0"), row("counting", "2", "2"), row("counting", "3", "0"), row("position", "1,1", "0,1")];
  assert.deepEqual(Object.entries(countingConfusion(rows, "counter")), [["3->0", 2], ["2->2", 1]]);
  assert.deepEqual(countingConfusion(rows, "class_tokens"), { "3->3": 2, "2->2": 1 });
});

test("rendered scenes for the head: as many as asked, none of a held-out prompt, through the tokenizer, counted as the scene holds them", () => {
  const { tokenizer } = tinyPipeline();
  const size = VQ_CONFIG.imageSize;
  const first = cleanExamples(5, 0, 10, size);
  const heldOut = [{ meta: first[0].meta, paths: [] }];
  const r = renderedOf(30, 5, size, heldOut, tokenizer);
  assert.equal(r.length, 30);
  assert.ok(r.every((f) => f.meta.prompt !== first[0].meta.prompt));
  // the first kept render is cleanExamples' own scene, reconstructed by the tokenizer
  const k = first.findIndex((e) => e.meta.prompt !== first[0].meta.prompt);
  assert.deepEqual(r[0].counts, first[k].scene!.counts);
  assert.deepEqual(r[0].image, tokenizer.reconstruct([first[k].image as RGBImage])[0]);
});

test("a tower of its own trains under the square's 8 symmetries: each a different arrangement of the same pixels", () => {
  const x = tensor([1, 2, 3, 4], [1, 1, 2, 2]); // [[1, 2], [3, 4]]
  const seen = [0, 1, 2, 4, 7].map((k) => symmetry(x, k).toArray());
  assert.deepEqual(seen, [
    [1, 2, 3, 4],
    [2, 1, 4, 3], // mirrored
    [3, 4, 1, 2], // flipped
    [1, 3, 2, 4], // transposed
    [4, 2, 3, 1], // transposed, mirrored, flipped: [[1, 3], [2, 4]] -> [[3, 1], [4, 2]] -> [[4, 2], [3, 1]]
  ]);
  const all = new Set(Array.from({ length: 8 }, (_, k) => symmetry(tensor(Array.from({ length: 9 }, (_, i) => i), [1, 1, 3, 3]), k).toArray().join()));
  assert.equal(all.size, 8);
});

test("train judge-counter trains the head alone: every other tensor is the starting judge's, the loss falls, the summary scores both readings", async () => {
  const dir = mkdtempSync(join(tmpdir(), "judge-counter-"));
  const { tokenizer } = tinyPipeline();
  saveWeights(join(dir, "vq.safetensors"), tokenizer, VQ_CONFIG);
  manualSeed(2);
  const init = join(dir, "judge.safetensors");
  saveWeights(init, new JudgeNet(rules).eval(), rules, { kind: "fine-tuned" });
  mkdirSync(join(dir, "paths"));
  writeFileSync(join(dir, "paths", "chunk-00000.json"), JSON.stringify({ prompts: collectedPaths() }));
  const o = { data: [join(dir, "paths")], init, tokenizer: join(dir, "vq.safetensors"), hidden: 4, from: "tower" as const, runDir: join(dir, "run"), out: join(dir, "counted.safetensors"), results: join(dir, "summary.json"), steps: 100, batch: 16, lr: 1e-2, seed: 1 };
  await trainCounterCommand(o, () => {});
  const before = readWeightsConfig<JudgeNetConfig>(init).tensors;
  const after = readWeightsConfig<JudgeNetConfig>(o.out);
  assert.deepEqual(after.config.counter, { hidden: 4, from: "tower" });
  for (const [name, t] of before) assert.deepEqual(after.tensors.get(name)!.toArray(), t.toArray(), `${name} is frozen`);
  assert.ok([...after.tensors.keys()].some((n) => n.startsWith("counter_in")));
  const log = readTrainLog(join(o.runDir, "log.jsonl"));
  assert.ok(log.at(-1)!.loss < log[0].loss * 0.8, `the loss falls: ${log[0].loss} -> ${log.at(-1)!.loss}`);
  const held = JSON.parse(readFileSync(o.results, "utf8")).training.settings.held_out;
  // 2 held-out prompts x 4 paths; 3 of each prompt's 4 fail
  assert.equal(held.count_readings.finals.finals, 8);
  assert.equal(held.count_readings.failing_finals.finals, 6);
  for (const k of ["counter", "class_tokens"]) assert.ok(held.count_readings.finals[k].agreement >= 0 && held.count_readings.finals[k].agreement <= 1, k);
  assert.equal(held.reasons.finals, 6);
  assert.equal(held.reasons_answering.finals, 6);
  // the fit: as many training prompts as held out, their every final read
  assert.equal(held.training_prompts.prompts, 2);
  assert.equal(held.training_prompts.finals.finals, 8);
  const confused = (k: string) => Object.values(held.count_readings.counting_confusion[k] as Record<string, number>).reduce((a, b) => a + b, 0);
  const counting = held.count_readings.finals.counter.by_tag.counting?.finals ?? 0;
  for (const k of ["counter", "class_tokens"]) assert.equal(confused(k), counting, `${k}: one entry per counting final`);
  for (const k of ["class_tokens", "counter"]) assert.equal(held.outcome_ranking[k].pairs, 6, `${k}: 1 right x 3 wrong finals per held-out prompt`);
  // the answers are the starting judge's; the reflection's counts are the head's
  const a = new EmbeddedJudge("a", loadJudgeNet(init).net, false);
  const b = new EmbeddedJudge("b", loadJudgeNet(o.out).net, false);
  const px = { width: VQ_CONFIG.imageSize, height: VQ_CONFIG.imageSize, data: new Uint8Array(VQ_CONFIG.imageSize ** 2 * 3).fill(90) };
  const req = { question: "outcome" as const, prompt: "a photo of two circles", image: px };
  assert.deepEqual(await b.judge([req]), await a.judge([req]));
  // the reflection reads the head: plant a count of 4 for stars (class 3) and 0 for every other class
  const planted = loadJudgeNet(o.out).net;
  noGrad(() => {
    const H = 4;
    planted.counterIn!.weight.copy_(zeros(planted.counterIn!.weight.shape));
    planted.counterIn!.bias!.copy_(tensor(SHAPE_CLASSES.flatMap((c) => Array.from({ length: H }, (_, h) => (c === "star" && h === 0 ? 1 : 0))), [SHAPE_CLASSES.length * H]));
    planted.counterOut!.weight.copy_(tensor(Array.from({ length: 6 * H }, (_, i) => (i === 4 * H ? 30 : 0)), [6, H]));
    planted.counterOut!.bias!.copy_(tensor([5, 0, 0, 0, 0, 0], [6]));
  });
  const plantedJudge = new EmbeddedJudge("c", planted, false);
  const readOf = (prompt: string) => plantedJudge.read([{ meta: parsePrompt(prompt), image: px }])[0].counts;
  assert.deepEqual(readOf("a photo of two stars"), [4]);
  assert.deepEqual(readOf("a photo of two circles"), [0]);
  // also where the rules answer leaves the prompt to the yes head (a colour asked of two objects): the head reads the named class
  assert.deepEqual(readOf("a photo of two red stars"), [4]);
  // a head with a conv tower of its own over the pixels: the tower trains with it, the judge's tensors stay
  // a ranking's samples: 2 prompts x 2 samples, one prompt held out (its samples are left out)
  const prompts = collectedPaths();
  const rank = join(dir, "rank");
  mkdirSync(rank);
  writeFileSync(join(rank, "meta.json"), JSON.stringify({ seed: 1, sampleSeed: 1, samplesPerPrompt: 2, sample: DEFAULT_SAMPLE, generator: "g", prompts: 2, pairsPerPrompt: 1 }));
  [prompts[0], prompts[9]].forEach(({ meta }, index) =>
    writeRankedPrompt(rank, { index, seed: index, meta, samples: [0, 1].map((sample) => ({ sample, seed: sample, tokens: prompts[0].paths[sample].predictions.at(-1)!, correct: false, reasons: [], image: `images/p${index}-s${sample}.png` })) }, [new Uint8Array(1), new Uint8Array(1)]),
  );
  const own = { ...o, from: "pixels" as const, channels: [8, 16], rendered: 24, samples: [rank], runDir: join(dir, "own"), out: join(dir, "own.safetensors"), results: join(dir, "own.json") };
  await trainCounterCommand(own, () => {});
  const ownAfter = readWeightsConfig<JudgeNetConfig>(own.out);
  assert.deepEqual(ownAfter.config.counter, { hidden: 4, from: "pixels", channels: [8, 16] });
  for (const [name, t] of before) assert.deepEqual(ownAfter.tensors.get(name)!.toArray(), t.toArray(), `${name} is frozen`);
  manualSeed(own.seed); // the tower's initial weights, as train judge-counter draws them
  const fresh = new JudgeNet(ownAfter.config);
  const tower = [...fresh.stateDict()].filter(([n]) => n.startsWith("counter_stages") && n.endsWith("weight"));
  assert.ok(tower.length > 0, "it has a tower");
  assert.ok(tower.some(([n, t]) => JSON.stringify(ownAfter.tensors.get(n)!.toArray()) !== JSON.stringify(t.toArray())), "its tower trained");
  fresh.dispose();
  const ownLog = readTrainLog(join(own.runDir, "log.jsonl"));
  assert.ok(ownLog.at(-1)!.loss < ownLog[0].loss * 0.8, `the loss falls: ${ownLog[0].loss} -> ${ownLog.at(-1)!.loss}`);
  assert.deepEqual(await new EmbeddedJudge("d", loadJudgeNet(own.out).net, false).judge([req]), await a.judge([req]));
  const ownSettings = JSON.parse(readFileSync(own.results, "utf8")).training.settings;
  assert.deepEqual([ownSettings.rendered, ownSettings.samples, ownSettings.train_finals], [24, 2, 18 * 4], "the renders and one training prompt's samples beside 18 training prompts' finals");
  await assert.rejects(trainCounterCommand({ ...own, samples: [join(dir, "paths")], runDir: join(dir, "no-rank") }, () => {}), (e: unknown) => e instanceof UserError && /not a ranking data folder/.test(e.message));
  // --answers: the same head, saved as the rules answer's counts too
  const answering = { ...own, answers: true, out: join(dir, "answering.safetensors") };
  await trainCounterCommand(answering, () => {}); // the run is finished: it only saves and scores
  const answeringAfter = readWeightsConfig<JudgeNetConfig>(answering.out);
  assert.deepEqual(answeringAfter.config.counter, { hidden: 4, from: "pixels", channels: [8, 16], answers: true });
  for (const [name, t] of ownAfter.tensors) assert.deepEqual(answeringAfter.tensors.get(name)!.toArray(), t.toArray(), `${name}: the same weights`);
  await assert.rejects(trainCounterCommand({ ...own, from: "tower", runDir: join(dir, "no-own") }, () => {}), (e: unknown) => e instanceof UserError && /needs --from pixels/.test(e.message));
  await assert.rejects(trainCounterCommand({ ...own, channels: [8], runDir: join(dir, "short") }, () => {}), (e: unknown) => e instanceof UserError && /must be 2 widths/.test(e.message));
  await assert.rejects(trainCounterCommand({ ...o, out: init, runDir: join(dir, "same") }, () => {}), (e: unknown) => e instanceof UserError && /--out is --init/.test(e.message));
  await assert.rejects(trainCounterCommand({ ...o, init: o.out, runDir: join(dir, "again") }, () => {}), (e: unknown) => e instanceof UserError && /has a counting head already/.test(e.message));
});
