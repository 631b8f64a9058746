// Errors become exceptions, memory is freed deterministically, seeds repeat, threads default fast,
// mixed precision is scoped.
import assert from "node:assert/strict";
import { cpus } from "node:os";
import { test } from "node:test";
import { precision, withPrecision } from "../../src/util/precision.js";
import {
  Generator,
  dispose,
  getBlasThreads,
  getNumThreads,
  isGradEnabled,
  liveTensors,
  manualSeed,
  noGrad,
  rand,
  randn,
  setNumThreads,
  autocast,
  mixedPrecision,
  Linear,
  GroupNorm,
  Conv2d,
  tensor,
  tidy,
  multinomial,
  gumbel,
  type Tensor,
} from "../../src/torch/index.js";

test("libtorch errors become JS exceptions carrying libtorch's message", () =>
  tidy(() => {
    const a = randn([2, 3]);
    assert.throws(() => a.matmul(randn([4, 5])), /mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)/);
    assert.throws(() => a.indexSelect(0, tensor([7], [1], "int64")), /index out of range/);
    assert.throws(() => a.reshape([4, 4]), /shape '\[4, 4\]' is invalid for input of size 6/);
    assert.throws(() => a.indexSelect(0, tensor([0], [1])), /Expected dtype int/i);
    assert.throws(() => a.add(randn([5])), /must match the size/);
    assert.throws(() => a.to("complex" as never), /unknown dtype 'complex'/);
    assert.throws(() => a.sum([5]), /Dimension out of range/);
    // still alive after all that
    assert.equal(a.add(1).shape.length, 2);
  }));

test("a disposed tensor throws instead of crashing, and dispose is idempotent", () => {
  const a = randn([3]);
  a.dispose();
  a.dispose();
  assert.equal(a.isDisposed, true);
  assert.throws(() => a.add(1), /tensor used after dispose\(\)/);
});

test("tidy frees intermediates, keeps the result, frees everything on an exception", () => {
  const before = liveTensors();
  const out = tidy(() => {
    const x = randn([4, 4]);
    const y = x.mul(2).add(1).tanh();
    return { y, list: [y.sum()] };
  });
  assert.equal(liveTensors(), before + 2, "only the two returned tensors survive");
  dispose(out);
  assert.equal(liveTensors(), before);
  assert.throws(() =>
    tidy(() => {
      randn([3]).mul(2);
      throw new Error("boom");
    }),
  );
  assert.equal(liveTensors(), before, "tensors of a failed scope are freed");
  let kept: Tensor | undefined;
  tidy(() => {
    kept = randn([2]).keep();
    randn([2]);
    return null;
  });
  assert.equal(liveTensors(), before + 1, "keep() exempts from the scope");
  kept!.dispose();
  assert.equal(liveTensors(), before);
});

test("nested tidy moves results to the outer scope", () => {
  const before = liveTensors();
  tidy(() => {
    const inner = tidy(() => randn([2]).mul(3));
    assert.equal(inner.isDisposed, false);
    return null;
  });
  assert.equal(liveTensors(), before, "inner result freed by the outer scope");
});

test("noGrad restores the grad mode however it exits", () => {
  assert.equal(isGradEnabled(), true);
  noGrad(() => assert.equal(isGradEnabled(), false));
  assert.throws(() =>
    noGrad(() => {
      throw new Error("x");
    }),
  );
  assert.equal(isGradEnabled(), true);
  tidy(() => {
    const w = randn([2]).setRequiresGrad(true);
    assert.equal(noGrad(() => w.mul(2)).requiresGrad, false);
    assert.equal(w.mul(2).requiresGrad, true);
  });
});

test("seeds repeat; each Generator is its own stream and can be saved and restored", () =>
  tidy(() => {
    manualSeed(3);
    const a = rand([5]).toArray();
    manualSeed(3);
    assert.deepEqual(rand([5]).toArray(), a);
    const g1 = new Generator(11);
    const g2 = new Generator(11);
    rand([100]); // the global stream does not disturb the private ones
    const x = rand([4], g1).toArray();
    assert.deepEqual(rand([4], g2).toArray(), x);
    const state = g1.getState();
    const next = randn([3], g1).toArray();
    g1.setState(state);
    assert.deepEqual(randn([3], g1).toArray(), next);
    const fork = g2.fork();
    assert.deepEqual(multinomial(tensor([0.1, 0.2, 0.7]), 5, true, fork).toArray(), multinomial(tensor([0.1, 0.2, 0.7]), 5, true, g2).toArray());
    const gum = gumbel([20000], new Generator(5));
    assert.ok(Math.abs(gum.mean().item() - 0.5772) < 0.04, "Gumbel mean is the Euler-Mascheroni constant");
  }));

test("threads: libtorch intra-op 1 by default in float32 (OpenBLAS keeps its own), every core in bfloat16, settable", () => {
  const dflt = precision() === "bfloat16" ? cpus().length : 1;
  assert.equal(getNumThreads(), process.env.IMAGECOT_TORCH_THREADS ? Number(process.env.IMAGECOT_TORCH_THREADS) : dflt);
  const blas = getBlasThreads();
  assert.ok(blas === null || blas >= 1);
  setNumThreads(2);
  assert.equal(getNumThreads(), 2);
  setNumThreads(1);
  assert.throws(() => setNumThreads(0), /positive integer/);
});

test("autocast: matmuls in bfloat16 inside, float32 outside, restored after a throw and when nested", () => {
  noGrad(() =>
    tidy(() => {
      const [a, b] = [randn([4, 8]), randn([8, 3])];
      assert.equal(a.matmul(b).dtype, "float32");
      assert.equal(autocast(true, () => a.matmul(b).dtype), "bfloat16");
      assert.equal(autocast(true, () => autocast(false, () => a.matmul(b).dtype)), "float32");
      assert.equal(autocast(true, () => (autocast(false, () => 0), a.matmul(b).dtype)), "bfloat16");
      assert.throws(() => autocast(true, () => { throw new Error("inside"); }), /inside/);
      assert.equal(a.matmul(b).dtype, "float32");
      // the bfloat16 product is the float32 one to bfloat16's precision
      const diff = autocast(true, () => a.matmul(b)).to("float32").sub(a.matmul(b)).abs().amax([0, 1]).item();
      assert.ok(diff < 0.1, `bfloat16 matmul off by ${diff}`);
    }),
  );
});

test("autocast: weights changed between regions are cast again (the cast cache is cleared on leaving)", () => {
  const lin = new Linear(3, 2, false);
  const x = tensor([1, 2, 3], [1, 3]).keep();
  const out = () => noGrad(() => tidy(() => autocast(true, () => lin.forward(x)).to("float32").toArray()));
  noGrad(() => lin.weight.copy_(tensor([1, 0, 0, 0, 1, 0], [2, 3])));
  assert.deepEqual(out(), [1, 2]);
  noGrad(() => lin.weight.copy_(tensor([0, 0, 1, 1, 1, 1], [2, 3])));
  assert.deepEqual(out(), [3, 6]);
  lin.dispose();
  x.dispose();
});

test("precision: IMAGECOT_PRECISION chooses, a bad value is a clear error, withPrecision scopes it", () => {
  const saved = process.env.IMAGECOT_PRECISION;
  try {
    process.env.IMAGECOT_PRECISION = "float32";
    assert.equal(precision(), "float32");
    assert.equal(withPrecision("bfloat16", () => precision()), "bfloat16");
    assert.equal(precision(), "float32");
    process.env.IMAGECOT_PRECISION = "fp8";
    assert.throws(() => precision(), /IMAGECOT_PRECISION must be float32, bfloat16 or auto, not 'fp8'/);
  } finally {
    if (saved === undefined) delete process.env.IMAGECOT_PRECISION;
    else process.env.IMAGECOT_PRECISION = saved;
  }
  // mixedPrecision follows it
  noGrad(() =>
    tidy(() => {
      const [a, b] = [randn([2, 2]), randn([2, 2])];
      assert.equal(withPrecision("float32", () => mixedPrecision(() => a.matmul(b).dtype)), "float32");
      assert.equal(withPrecision("bfloat16", () => mixedPrecision(() => a.matmul(b).dtype)), "bfloat16");
    }),
  );
});

test("group norm under autocast: a bfloat16 convolution's output is normalised in float32", () => {
  const conv = new Conv2d(3, 4, 3, { padding: 1 });
  const norm = new GroupNorm(2, 4);
  noGrad(() =>
    tidy(() => {
      const x = randn([2, 3, 8, 8]);
      const y = autocast(true, () => norm.forward(conv.forward(x)));
      assert.equal(y.dtype, "float32");
      const ref = norm.forward(conv.forward(x));
      assert.ok(y.sub(ref).abs().amax([0, 1, 2, 3]).item() < 0.1);
    }),
  );
  conv.dispose();
  norm.dispose();
});
