// Modules move between devices under the same handles; on a CUDA build, products there match the CPU's.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Linear, cudaAvailable, liveTensors, manualSeed, noGrad, randn, tidy } from "../../src/torch/index.js";

test("Module.to keeps every parameter's handle, value and gradient flag, and frees what it made", () => {
  manualSeed(1);
  const m = new Linear(3, 2);
  const before = m.namedParameters();
  const values = before.map(([, p]) => Array.from(p.data() as Float32Array));
  const live = liveTensors();
  m.to("cpu");
  assert.equal(liveTensors(), live);
  const after = m.namedParameters();
  after.forEach(([name, p], i) => {
    assert.equal(p, before[i]![1], `${name} is the same handle`);
    assert.equal(p.device, "cpu");
    assert.equal(p.requiresGrad, true);
    assert.deepEqual(Array.from(p.data() as Float32Array), values[i]);
  });
  assert.throws(() => m.to("nonsense"), /device/i);
  m.dispose();
});

test("setData takes another tensor's data under this handle", () => {
  tidy(() => {
    const a = randn([2, 2]);
    const b = randn([2, 2]);
    a.setData(b);
    assert.deepEqual(Array.from(a.data() as Float32Array), Array.from(b.data() as Float32Array));
  });
});

test("on a CUDA device, a moved layer computes what it computes on the CPU", { skip: !cudaAvailable() && "this libtorch has no CUDA device" }, () => {
  manualSeed(2);
  const m = new Linear(64, 32);
  noGrad(() =>
    tidy(() => {
      const x = randn([8, 64]);
      const cpu = m.forward(x);
      m.to("cuda");
      assert.equal(m.weight.device, "cuda:0");
      const dev = m.forward(x.toDevice("cuda"));
      assert.equal(dev.device, "cuda:0");
      assert.ok(dev.toDevice("cpu").sub(cpu).abs().amax([0, 1]).item() < 1e-4);
    }),
  );
  m.dispose();
});
