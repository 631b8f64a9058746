// The step-wise sampler on a tiny untrained model: schedule, seeds, truncation, branching, NFE.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MaskedGenerator } from "../../src/generator/model.js";
import { generate } from "../../src/generator/generate.js";
import { conditioning, pathSeed } from "../../src/generator/pipeline.js";
import { PathBatch, StepBatcher, guide, maskedAfter } from "../../src/generator/sampler.js";
import { VOCAB } from "../../src/tokenizer/text.js";
import { VQAutoencoder } from "../../src/tokenizer/vq.js";
import { manualSeed, noGrad, tensor, tidy } from "../../src/torch/index.js";
import { withPrecision } from "../../src/util/precision.js";

manualSeed(0);
const model = new MaskedGenerator({
  textVocab: VOCAB.length,
  codebookSize: 16,
  imageTokens: 16,
  maxText: 16,
  maxReason: 8,
  dModel: 32,
  layers: 1,
  heads: 2,
  mlpRatio: 2,
  dropout: 0,
}).eval();
const opts = { steps: 6, cfg: 1.5, temperature: 1, confidenceTemperature: 4.5 };
const cond = conditioning(model, "a photo of two red circles");

async function run(ids: number[], hook?: (b: PathBatch, step: number) => void): Promise<Map<number, Int32Array>> {
  const b = new PathBatch(model, cond, opts);
  for (const id of ids) b.start(id, pathSeed(7, id));
  for (let s = 0; !b.done(); s++) {
    await b.step();
    hook?.(b, s);
  }
  return new Map(b.live().map((id) => [id, b.tokens(id)]));
}

test("the cosine schedule: fewer masked each step, at least one until the last, none after", () => {
  const L = 64;
  let unknown = L;
  const left: number[] = [];
  for (let t = 0; t < 18; t++) {
    unknown = maskedAfter(t, 18, L, unknown);
    left.push(unknown);
  }
  assert.equal(left[17], 0);
  assert.ok(left.slice(0, 17).every((n) => n >= 1));
  assert.ok(left.every((n, i) => i === 0 || n < left[i - 1]), `strictly decreasing: ${left}`);
  assert.equal(left[0], Math.floor(64 * Math.cos(Math.PI / 2 / 18)) > 63 ? 63 : Math.floor(64 * Math.cos(Math.PI / 2 / 18)));
  assert.equal(maskedAfter(0, 2, 4, 4), Math.max(1, Math.min(3, Math.floor(4 * Math.cos(Math.PI / 4)))));
});

test("each step fixes tokens for good and leaves the scheduled number masked", async () => {
  const mask = model.maskId;
  const b = new PathBatch(model, cond, opts);
  b.start(0, 1);
  let prev = b.tokens(0).slice();
  while (!b.done()) {
    const [r] = await b.step();
    const now = b.tokens(0);
    assert.equal(now.filter((t) => t === mask).length, r.masked);
    prev.forEach((t, i) => {
      if (t !== mask) assert.equal(now[i], t, "a fixed token never changes");
    });
    now.forEach((t, i) => {
      if (t !== mask) assert.equal(r.prediction[i], t, "fixed tokens are part of the prediction");
    });
    assert.ok(r.prediction.every((t) => t >= 0 && t < 16), "the prediction is a full image");
    prev = now.slice();
  }
  assert.ok(!b.tokens(0).includes(mask));
});

test("the same seeds give the same images; other seeds differ", async () => {
  const a = await run([0, 1, 2]);
  const b = await run([0, 1, 2]);
  for (const id of [0, 1, 2]) assert.deepEqual(b.get(id), a.get(id));
  assert.notDeepEqual(a.get(0), a.get(1));
});

test("truncating a path never changes the others, and its steps are not computed", async () => {
  const full = await run([0, 1, 2]);
  let nfe = 0;
  const cut = await run([0, 1, 2], (b, s) => {
    if (s === 2) b.truncate([1]);
    nfe = b.nfe;
  });
  assert.deepEqual([...cut.keys()], [0, 2]);
  assert.deepEqual(cut.get(0), full.get(0));
  assert.deepEqual(cut.get(2), full.get(2));
  assert.equal(nfe, 2 * (3 * 3 + 2 * 3), "3 paths for 3 steps, then 2 paths for 3 steps, two CFG halves each");
});

test("a saved state resumes exactly, and branches from it are independent copies", async () => {
  const full = await run([0]);
  const b = new PathBatch(model, cond, opts);
  b.start(0, pathSeed(7, 0));
  await b.step();
  await b.step();
  const saved = b.save(0);
  const resumed = new PathBatch(model, cond, opts);
  resumed.resume(saved, 0);
  resumed.resume(saved, 1); // a second branch from the same state
  while (!resumed.done()) await resumed.step();
  assert.deepEqual(resumed.tokens(0), full.get(0));
  assert.deepEqual(resumed.tokens(1), full.get(0), "same state, same stream: same continuation");
  assert.equal(saved.step, 2, "the saved state is not advanced by its branches");
});

test("generate() decodes every path and counts NFE with both CFG halves", async () => {
  const tokenizer = new VQAutoencoder({ imageSize: 16, channels: [8, 8, 8], codes: 15, codeDim: 4, beta: 0.25 }).eval();
  let steps = 0;
  const out = await generate({ generator: model, tokenizer }, "a photo of a star", { ...opts, n: 2, seed: 3, onStep: async (_r, images) => {
    steps++;
    assert.equal((await images()).length, 2);
  } });
  assert.equal(steps, 6);
  assert.equal(out.paths.length, 2);
  assert.equal(out.paths[0].image.width, 16);
  assert.equal(out.nfe, 2 * 2 * 6);
  await assert.rejects(() => generate({ generator: model, tokenizer }, "a photo of a zebra", { ...opts, n: 1, seed: 0 }), /unknown word 'zebra'/);
});

test("CFG: scale 0 is the conditional logits, one forward per path; guidance mixes as (1+g)c - g u", () => {
  tidy(() => {
    const c = tensor([1, 2, 3]);
    const u = tensor([0, 2, 5]);
    assert.equal(guide(c, u, 0), c);
    assert.deepEqual(guide(c, u, 1.5).toArray(), [2.5, 2, 0]);
  });
  const b0 = new PathBatch(model, cond, { ...opts, cfg: 0 });
  b0.start(0, 3);
  b0.step();
  assert.equal(b0.nfe, 1, "no unconditional half at scale 0");
  // with the prompt as its own 'unconditional' text, guidance changes nothing: same draws at any scale
  const same = { ...cond, nullText: cond.text };
  const runWith = (cfg: number) => {
    const b = new PathBatch(model, same, { ...opts, cfg });
    b.start(0, 9);
    while (!b.done()) b.step();
    return b.tokens(0);
  };
  assert.deepEqual(runWith(2), runWith(0));
});

test("paths of several prompts and images sharing forward passes give the same images as alone", async () => {
  const tokenizer = new VQAutoencoder({ imageSize: 16, channels: [8, 8, 8], codes: 15, codeDim: 4, beta: 0.25 }).eval();
  const prompts = ["a photo of a star", "a photo of two red circles", "a photo of a blue square left of a ring"];
  const alone: Awaited<ReturnType<typeof generate>>[] = [];
  for (const [i, prompt] of prompts.entries()) alone.push(await generate({ generator: model, tokenizer }, prompt, { ...opts, n: 3, seed: i }));
  const batcher = new StepBatcher(12); // 3 prompts x 3 paths x 2 halves = 18 rows: two passes a step
  const shared = await Promise.all(prompts.map((prompt, i) => generate({ generator: model, tokenizer, batcher }, prompt, { ...opts, n: 3, seed: i })));
  shared.forEach((r, i) => {
    assert.deepEqual(r.paths.map((p) => Array.from(p.tokens)), alone[i].paths.map((p) => Array.from(p.tokens)));
    assert.equal(r.nfe, alone[i].nfe);
  });
  assert.equal(batcher.passes, 2 * opts.steps, "two prompts share a pass, the third has its own");
  assert.equal(batcher.sequences, 3 * 3 * 2 * opts.steps);
  // one batch may hold paths of different prompts too
  const mixed = new PathBatch(model, conditioning(model, prompts[0]), opts);
  prompts.forEach((prompt, i) => mixed.start(i, pathSeed(i, 0), conditioning(model, prompt)));
  while (!mixed.done()) await mixed.step();
  prompts.forEach((_, i) => assert.deepEqual(Array.from(mixed.tokens(i)), Array.from(alone[i].paths[0].tokens)));
});

test("the flat penalty fixes background last: no flat token is fixed while a shape draw stays masked", async () => {
  const flat = 15; // the tiny tokenizer's last id
  /** steps at which a flat draw was fixed while a non-flat draw was left masked */
  const inversions = async (flatPenalty: number) => {
    const b = new PathBatch(model, cond, { ...opts, temperature: 3, flatPenalty });
    for (let id = 0; id < 12; id++) b.start(id, pathSeed(3, id));
    let count = 0;
    const before = new Map(b.live().map((id) => [id, b.tokens(id).slice()]));
    while (!b.done()) {
      for (const r of await b.step()) {
        const was = before.get(r.path)!;
        const newly = [...was.keys()].filter((i) => was[i] === model.maskId && r.tokens[i] !== model.maskId);
        const left = [...was.keys()].filter((i) => r.tokens[i] === model.maskId);
        if (newly.some((i) => r.prediction[i] === flat) && left.some((i) => r.prediction[i] !== flat)) count++;
        before.set(r.path, r.tokens.slice());
      }
    }
    return count;
  };
  assert.ok((await inversions(0)) > 0, "Show-o's rule fixes flat tokens among the others");
  assert.equal(await inversions(1e6), 0);
});

test("generate() decodes with the sample's flat penalty: the images of a PathBatch with it, not without", async () => {
  const sample = { ...opts, temperature: 3 };
  const finals = async (flatPenalty: number) => {
    const b = new PathBatch(model, cond, { ...sample, flatPenalty });
    for (let id = 0; id < 4; id++) b.start(id, pathSeed(5, id));
    const out = new Map<number, number[]>();
    while (!b.done()) for (const r of await b.step()) out.set(r.path, Array.from(r.tokens));
    return [...out.keys()].sort((a, b) => a - b).map((id) => out.get(id)!);
  };
  const tokenizer = new VQAutoencoder({ imageSize: 16, channels: [8, 8, 8], codes: 15, codeDim: 4, beta: 0.25 }).eval();
  const made = await generate({ generator: model, tokenizer }, "a photo of two red circles", { ...sample, flatPenalty: 1e6, n: 4, seed: 5 });
  const tokens = made.paths.map((p) => Array.from(p.tokens));
  assert.deepEqual(tokens, await finals(1e6));
  assert.notDeepEqual(tokens, await finals(0), "the penalty changes these paths, so the equality above is its doing");
});

test("the generator's logits are float32 in either precision, and bfloat16's are float32's to its precision", () =>
  noGrad(() =>
    tidy(() => {
      const inp = { text: tensor(cond.text, [1, cond.text.length], "int64"), image: tensor(new Int32Array(16).fill(model.maskId), [1, 16], "int64") };
      const [f32, bf16] = (["float32", "bfloat16"] as const).map((p) => withPrecision(p, () => model.forward(inp)));
      assert.equal(f32.dtype, "float32");
      assert.equal(bf16.dtype, "float32");
      const diff = f32.sub(bf16).abs().amax([0, 1, 2]).item();
      assert.ok(diff > 0 && diff < 0.1, `bfloat16 logits off by ${diff}`);
    }),
  ));
