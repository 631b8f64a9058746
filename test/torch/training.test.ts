// Tiny models learn; optimisers match hand-computed steps; checkpoints resume exactly.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  AdamW,
  Embedding,
  F,
  LayerNorm,
  Linear,
  Module,
  SGD,
  type Tensor,
  arange,
  clipGradNorm,
  cosineWithWarmup,
  heapStats,
  liveOptimizers,
  manualSeed,
  randint,
  tensor,
  tidy,
  trimHeap,
  zeros,
} from "../../src/torch/index.js";

class Mlp extends Module {
  readonly l1 = this.module("l1", new Linear(2, 16));
  readonly l2 = this.module("l2", new Linear(16, 1));
  forward(x: Tensor): Tensor {
    return this.l2.forward(this.l1.forward(x).tanh());
  }
}

test("an MLP learns XOR", () => {
  manualSeed(0);
  const m = new Mlp();
  const opt = new AdamW(m.namedParameters(), { lr: 0.05, weightDecay: 0 });
  const x = tensor([0, 0, 0, 1, 1, 0, 1, 1], [4, 2]).keep();
  const y = tensor([0, 1, 1, 0], [4, 1]).keep();
  let loss = Infinity;
  for (let i = 0; i < 300; i++)
    loss = tidy(() => {
      opt.zeroGrad();
      const l = F.bceWithLogits(m.forward(x), y);
      l.backward();
      opt.step();
      return l.item();
    });
  assert.ok(loss < 0.01, `XOR loss ${loss}`);
  m.dispose();
});

/** A 2-layer transformer that must copy its input sequence (attention has to route tokens). */
class Copier extends Module {
  readonly emb = this.module("emb", new Embedding(8, 32, 0.1));
  readonly pos = this.module("pos", new Embedding(6, 32, 0.1));
  readonly qkv = [0, 1].map((i) => this.module(`qkv${i}`, new Linear(32, 96)));
  readonly proj = [0, 1].map((i) => this.module(`proj${i}`, new Linear(32, 32)));
  readonly ln = [0, 1].map((i) => this.module(`ln${i}`, new LayerNorm(32)));
  readonly head = this.module("head", new Linear(32, 8));
  forward(tokens: Tensor): Tensor {
    const [B, T] = tokens.shape;
    let x = this.emb.forward(tokens).add(this.pos.forward(arange(0, T)));
    for (let i = 0; i < 2; i++) {
      const qkv = this.qkv[i].forward(this.ln[i].forward(x)).reshape([B, T, 3, 2, 16]).permute([2, 0, 3, 1, 4]);
      const y = F.attention(qkv.select(0, 0), qkv.select(0, 1), qkv.select(0, 2)).transpose(1, 2).reshape([B, T, 32]);
      x = x.add(this.proj[i].forward(y));
    }
    return this.head.forward(x);
  }
}

test("a 2-layer transformer learns to copy a sequence (reversed)", () => {
  manualSeed(1);
  const m = new Copier();
  const opt = new AdamW(m.namedParameters(), { lr: 3e-3, weightDecay: 0 });
  let loss = Infinity;
  for (let i = 0; i < 400; i++)
    loss = tidy(() => {
      const x = randint(0, 8, [32, 6]);
      opt.zeroGrad();
      const l = F.crossEntropy(m.forward(x).reshape([-1, 8]), x.flip([1]).reshape([-1]));
      l.backward();
      clipGradNorm(m.parameters(), 1);
      opt.step();
      return l.item();
    });
  assert.ok(loss < 0.05, `copy loss ${loss}`);
  m.dispose();
});

test("SGD with momentum and AdamW take the hand-computed first steps", () =>
  tidy(() => {
    const w = tensor([1, -2]).setRequiresGrad(true);
    const sgd = new SGD([["w", w]], { lr: 0.1, momentum: 0.9 });
    w.mul(tensor([3, 4])).sum().backward(); // grad = [3, 4]
    sgd.step();
    assert.deepEqual(w.toArray().map((v) => +v.toFixed(6)), [0.7, -2.4]);
    // AdamW step 1: m/(1-b1) = g, v/(1-b2) = g^2, so the update is lr*sign(g) (+ decay lr*wd*w)
    const u = tensor([[1, -2]].flat(), [1, 2]).setRequiresGrad(true);
    const adam = new AdamW([["u", u]], { lr: 0.01, weightDecay: 0.1, eps: 0 });
    u.mul(tensor([3, -4], [1, 2])).sum().backward();
    adam.step();
    const expected = [1 * (1 - 0.01 * 0.1) - 0.01, -2 * (1 - 0.01 * 0.1) + 0.01];
    u.toArray().forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-6, `${v} vs ${expected[i]}`));
  }));

test("dispose frees an optimiser's native state at once, without waiting for GC", () => {
  const live = liveOptimizers();
  const w = zeros([1024, 1024]).setRequiresGrad(true); // 4 MiB: its gradient and AdamW's two moments add 12
  const opt = new AdamW([["w", w]], { lr: 0.01 });
  tidy(() => w.mul(2).sum().backward());
  opt.step();
  assert.equal(liveOptimizers(), live + 1);
  w.dispose();
  trimHeap();
  const held = heapStats();
  opt.dispose();
  opt.dispose(); // idempotent
  trimHeap();
  assert.equal(liveOptimizers(), live);
  const freed = held.in_use_mib + held.mmap_mib - (heapStats().in_use_mib + heapStats().mmap_mib);
  assert.ok(freed >= 12, `dispose freed ${freed.toFixed(1)} MiB (the parameter, its gradient and two moments: 16)`);
  assert.throws(() => opt.step(), /after dispose/);
});

test("weight decay only on matrices: a bias is not decayed", () =>
  tidy(() => {
    const b = tensor([1]).setRequiresGrad(true);
    const opt = new AdamW([["b", b]], { lr: 0.1, weightDecay: 0.5 });
    b.mul(0).sum().backward(); // zero gradient: only decay could move it
    opt.step();
    assert.equal(b.item(), 1);
  }));

test("clipGradNorm rescales to the max norm and returns the norm before", () =>
  tidy(() => {
    const w = tensor([0, 0]).setRequiresGrad(true);
    w.mul(tensor([3, 4])).sum().backward();
    assert.ok(Math.abs(clipGradNorm([w], 1) - 5) < 1e-6);
    const g = w.grad!.toArray();
    assert.ok(Math.abs(g[0] - 0.6) < 1e-5 && Math.abs(g[1] - 0.8) < 1e-5);
  }));

test("cosine schedule with warmup", () => {
  const s = { lr: 1, minLr: 0.1, warmupSteps: 10, totalSteps: 110 };
  assert.equal(cosineWithWarmup(0, s), 0.1);
  assert.equal(cosineWithWarmup(9, s), 1);
  assert.equal(cosineWithWarmup(10, s), 1);
  assert.ok(Math.abs(cosineWithWarmup(60, s) - 0.55) < 1e-12);
  assert.equal(cosineWithWarmup(110, s), 0.1);
  assert.equal(cosineWithWarmup(1000, s), 0.1);
});

test("optimizer state round-trips: a resumed run continues exactly", () => {
  const run = (resumeAt: number | null): number[] => {
    manualSeed(4);
    const m = new Mlp();
    let opt = new AdamW(m.namedParameters(), { lr: 0.01 });
    const x = tensor([0, 0, 0, 1, 1, 0, 1, 1], [4, 2]).keep();
    const y = tensor([0, 1, 1, 0], [4, 1]).keep();
    for (let i = 0; i < 6; i++) {
      if (i === resumeAt) {
        const state = opt.stateDict();
        const weights = new Map([...m.stateDict()].map(([k, v]) => [k, v.detach().clone().keep()]));
        // a fresh model and optimizer, loaded from the saved state
        m.loadStateDict(weights);
        opt = new AdamW(m.namedParameters(), { lr: 0.01 });
        opt.loadStateDict(state);
        for (const t of [...state.values(), ...weights.values()]) t.dispose();
      }
      tidy(() => {
        opt.zeroGrad();
        F.bceWithLogits(m.forward(x), y).backward();
        opt.step();
      });
    }
    const out = m.parameters().flatMap((p) => p.toArray());
    m.dispose();
    return out;
  };
  assert.deepEqual(run(3), run(null));
});
