// Forward values against hand-computed ones, dtypes, devices and conversions.
import assert from "node:assert/strict";
import { test } from "node:test";
import { F, arange, cat, full, ones, stack, tensor, tidy, where, zeros } from "../../src/torch/index.js";

const close = (a: number[], b: number[], tol = 1e-5) =>
  assert.ok(a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) <= tol), `${JSON.stringify(a)} != ${JSON.stringify(b)}`);

test("typed arrays in and out, shape, dtype, device", () =>
  tidy(() => {
    const f = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    assert.deepEqual(f.shape, [2, 3]);
    assert.equal(f.dtype, "float32");
    assert.equal(f.device, "cpu");
    assert.ok(f.data() instanceof Float32Array);
    const l = tensor(new BigInt64Array([1n, -2n]), [2]);
    assert.equal(l.dtype, "int64");
    assert.deepEqual(Array.from(l.data() as BigInt64Array), [1n, -2n]);
    const i = tensor(new Int32Array([7, 8]));
    assert.equal(i.dtype, "int32");
    const b = tensor([1, 0, 1], [3], "bool");
    assert.equal(b.dtype, "bool");
    assert.ok(b.data() instanceof Uint8Array);
    assert.deepEqual(b.toArray(), [1, 0, 1]);
    assert.deepEqual(f.to("int64").toArray(), [1, 2, 3, 4, 5, 6]);
    assert.equal(tensor([2.5]).item(), 2.5);
    assert.throws(() => tensor([1, 2, 3], [2, 2]), /shape holds 4 elements but the array has 3/);
  }));

test("broadcasting arithmetic and scalars", () =>
  tidy(() => {
    const a = tensor([1, 2, 3, 4], [2, 2]);
    const b = tensor([10, 20], [2]);
    close(a.add(b).toArray(), [11, 22, 13, 24]);
    close(a.sub(1).toArray(), [0, 1, 2, 3]);
    close(a.mul(b).toArray(), [10, 40, 30, 80]);
    close(a.div(2).toArray(), [0.5, 1, 1.5, 2]);
    close(a.pow(2).toArray(), [1, 4, 9, 16]);
    assert.deepEqual(tensor([5, 7], [2], "int64").add(1).toArray(), [6, 8]);
    assert.equal(tensor([5, 7], [2], "int64").add(1).dtype, "int64", "integer scalars keep int tensors int");
    assert.deepEqual(a.gt(2).toArray(), [0, 0, 1, 1]);
  }));

test("unary functions", () =>
  tidy(() => {
    const x = tensor([-1, 0, 2]);
    close(x.exp().toArray(), [Math.exp(-1), 1, Math.exp(2)]);
    close(x.tanh().toArray(), [Math.tanh(-1), 0, Math.tanh(2)]);
    close(x.sigmoid().toArray(), [1 / (1 + Math.E), 0.5, 1 / (1 + Math.exp(-2))]);
    close(x.relu().toArray(), [0, 0, 2]);
    close(x.silu().toArray(), [-1 / (1 + Math.E), 0, 2 / (1 + Math.exp(-2))]);
    // exact gelu: x * Phi(x); Phi(2) = 0.97724987
    close(x.gelu().toArray(), [-0.15865525, 0, 1.95449974]);
    close(tensor([4, 9]).sqrt().toArray(), [2, 3]);
    close(tensor([1, Math.E]).log().toArray(), [0, 1]);
  }));

test("softmax, logSoftmax, layerNorm", () =>
  tidy(() => {
    const x = tensor([1, 2, 3]);
    const z = Math.exp(1) + Math.exp(2) + Math.exp(3);
    close(x.softmax(0).toArray(), [Math.exp(1) / z, Math.exp(2) / z, Math.exp(3) / z]);
    close(x.logSoftmax(0).toArray(), [1 - Math.log(z), 2 - Math.log(z), 3 - Math.log(z)]);
    // mean 2, variance 2/3 (biased): (x - 2) / sqrt(2/3 + eps)
    const s = Math.sqrt(2 / 3 + 1e-5);
    close(F.layerNorm(x, [3]).toArray(), [-1 / s, 0, 1 / s]);
  }));

test("matmul, linear, embedding", () =>
  tidy(() => {
    const a = tensor([1, 2, 3, 4], [2, 2]);
    close(a.matmul(a).toArray(), [7, 10, 15, 22]);
    close(F.linear(tensor([1, 1], [1, 2]), a, tensor([0.5, -0.5])).toArray(), [3.5, 6.5]);
    close(F.embedding(a, tensor([1, 0, 1], [3], "int64")).toArray(), [3, 4, 1, 2, 3, 4]);
  }));

test("conv2d, pooling, interpolate", () =>
  tidy(() => {
    const x = arange(0, 16, 1, "float32").reshape([1, 1, 4, 4]);
    const w = ones([1, 1, 2, 2]);
    close(F.conv2d(x, w, null, { stride: 2 }).toArray(), [0 + 1 + 4 + 5, 2 + 3 + 6 + 7, 8 + 9 + 12 + 13, 10 + 11 + 14 + 15]);
    close(F.maxPool2d(x, 2).toArray(), [5, 7, 13, 15]);
    close(F.avgPool2d(x, 2).toArray(), [2.5, 4.5, 10.5, 12.5]);
    assert.deepEqual(F.interpolate(tensor([1, 2, 3, 4], [1, 1, 2, 2]), [4, 4]).toArray(), [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    // transposed conv with a 1x1 kernel of 2 and stride 2 spreads values onto a zero grid
    close(F.convTranspose2d(tensor([1, 2, 3, 4], [1, 1, 2, 2]), full([1, 1, 1, 1], 2), null, { stride: 2 }).toArray(), [2, 0, 4, 0, 0, 0, 6, 0, 8]);
  }));

test("shapes and indexing", () =>
  tidy(() => {
    const x = arange(0, 6).reshape([2, 3]);
    assert.deepEqual(x.transpose(0, 1).contiguous().toArray(), [0, 3, 1, 4, 2, 5]);
    assert.deepEqual(x.permute([1, 0]).shape, [3, 2]);
    assert.deepEqual(cat([x, x], 0).shape, [4, 3]);
    assert.deepEqual(stack([x, x], 1).shape, [2, 2, 3]);
    assert.deepEqual(x.slice(1, 1).toArray(), [1, 2, 4, 5]);
    assert.deepEqual(x.slice(1, -1).toArray(), [2, 5]);
    assert.deepEqual(x.select(0, 1).toArray(), [3, 4, 5]);
    assert.deepEqual(x.indexSelect(1, tensor([2, 0], [2], "int64")).toArray(), [2, 0, 5, 3]);
    assert.deepEqual(x.gather(1, tensor([2, 1], [2, 1], "int64")).toArray(), [2, 4]);
    assert.deepEqual(zeros([2, 3], "int64").scatter(1, tensor([1, 2], [2, 1], "int64"), tensor([9, 8], [2, 1], "int64")).toArray(), [0, 9, 0, 0, 0, 8]);
    assert.deepEqual(where(x.gt(2), x, -1).toArray(), [-1, -1, -1, 3, 4, 5]);
    assert.deepEqual(x.maskedFill(x.eq(4), 0).toArray(), [0, 1, 2, 3, 0, 5]);
    assert.deepEqual(x.unsqueeze(0).shape, [1, 2, 3]);
    assert.deepEqual(x.unsqueeze(0).squeeze(0).shape, [2, 3]);
    assert.deepEqual(x.flatten().shape, [6]);
    assert.deepEqual(x.select(0, 0).expand([2, 3]).toArray(), [0, 1, 2, 0, 1, 2]);
    assert.deepEqual(x.flip([1]).toArray(), [2, 1, 0, 5, 4, 3]);
  }));

test("reductions, topk, sort", () =>
  tidy(() => {
    const x = tensor([3, 1, 2, 9, 7, 8], [2, 3]);
    assert.equal(x.sum().item(), 30);
    assert.deepEqual(x.sum(1).toArray(), [6, 24]);
    assert.deepEqual(x.mean(0).toArray(), [6, 4, 5]);
    const m = x.max(1);
    assert.deepEqual(m.values.toArray(), [3, 9]);
    assert.deepEqual(m.indices.toArray(), [0, 0]);
    assert.deepEqual(x.argmax(1).toArray(), [0, 0]);
    assert.equal(x.argmax().item(), 3);
    const t = x.topk(2, 1);
    assert.deepEqual(t.values.toArray(), [3, 2, 9, 8]);
    assert.deepEqual(t.indices.toArray(), [0, 2, 0, 2]);
    assert.deepEqual(x.sort(1).values.toArray(), [1, 2, 3, 7, 8, 9]);
    assert.deepEqual(x.sort(1, true).indices.toArray(), [0, 2, 1, 0, 2, 1]);
    close(tensor([0, 0]).logsumexp(0).toArray(), [Math.log(2)]);
  }));

test("losses by hand", () =>
  tidy(() => {
    const logits = tensor([0, 0, Math.log(2)], [1, 3]); // probabilities 1/4, 1/4, 1/2
    close(F.crossEntropy(logits, tensor([2], [1], "int64")).toArray(), [Math.log(2)]);
    close(F.crossEntropy(logits, tensor([0], [1], "int64")).toArray(), [Math.log(4)]);
    close(F.mseLoss(tensor([1, 2]), tensor([0, 0])).toArray(), [2.5]);
    close(F.bceWithLogits(tensor([0]), tensor([1])).toArray(), [Math.log(2)]);
  }));
