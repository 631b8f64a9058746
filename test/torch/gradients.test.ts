// Every differentiable op's gradient against finite differences, in float64.
import assert from "node:assert/strict";
import { test } from "node:test";
import { F, type Tensor, cat, gradcheck, manualSeed, randn, stack, tensor, tidy, where } from "../../src/torch/index.js";

const r = (...shape: number[]) => randn(shape, undefined, "float64");
const pos = (...shape: number[]) => r(...shape).abs().add(0.5);

function check(name: string, f: (x: Tensor[]) => Tensor, inputs: () => Tensor[]) {
  test(`gradient of ${name}`, () => {
    manualSeed(7);
    tidy(() => {
      const res = gradcheck(f, inputs());
      assert.ok(res.ok, `${name}: ${res.worst} (error ${res.maxAbsError})`);
    });
  });
}

check("add (broadcast)", ([a, b]) => a.add(b), () => [r(2, 3), r(3)]);
check("sub", ([a, b]) => a.sub(b), () => [r(2, 3), r(2, 1)]);
check("mul (broadcast)", ([a, b]) => a.mul(b), () => [r(2, 3), r(1, 3)]);
check("div", ([a, b]) => a.div(b), () => [r(2, 3), pos(2, 3)]);
check("pow", ([a]) => a.pow(3), () => [r(4)]);
check("exp", ([a]) => a.exp(), () => [r(5)]);
check("log", ([a]) => a.log(), () => [pos(5)]);
check("sqrt", ([a]) => a.sqrt(), () => [pos(5)]);
check("rsqrt", ([a]) => a.rsqrt(), () => [pos(5)]);
check("tanh", ([a]) => a.tanh(), () => [r(5)]);
check("sigmoid", ([a]) => a.sigmoid(), () => [r(5)]);
check("relu", ([a]) => a.relu(), () => [r(6)]);
check("gelu", ([a]) => a.gelu(), () => [r(6)]);
check("gelu tanh", ([a]) => a.gelu("tanh"), () => [r(6)]);
check("silu", ([a]) => a.silu(), () => [r(6)]);
check("abs, neg", ([a]) => a.abs().neg(), () => [r(6)]);
check("clamp", ([a]) => a.clamp(-0.5, 0.5), () => [r(6)]);
check("maximum", ([a, b]) => a.maximum(b), () => [r(6), r(6)]);
check("softmax", ([a]) => a.softmax(-1), () => [r(3, 4)]);
check("logSoftmax", ([a]) => a.logSoftmax(1), () => [r(3, 4)]);
check("matmul", ([a, b]) => a.matmul(b), () => [r(2, 3, 4), r(4, 5)]);
check("bmm", ([a, b]) => a.bmm(b), () => [r(2, 3, 4), r(2, 4, 2)]);
check("linear", ([x, w, b]) => F.linear(x, w, b), () => [r(3, 4), r(2, 4), r(2)]);
check("layerNorm", ([x, w, b]) => F.layerNorm(x, [4], w, b), () => [r(3, 4), r(4), r(4)]);
check("groupNorm", ([x, w, b]) => F.groupNorm(x, 2, w, b), () => [r(2, 4, 3, 3), r(4), r(4)]);
check("embedding", ([w]) => F.embedding(w, tensor([0, 2, 2, 1], [4], "int64")), () => [r(3, 4)]);
check("conv2d", ([x, w, b]) => F.conv2d(x, w, b, { stride: 2, padding: 1 }), () => [r(1, 2, 5, 5), r(3, 2, 3, 3), r(3)]);
check("convTranspose2d", ([x, w, b]) => F.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }), () => [
  r(1, 2, 3, 3),
  r(2, 3, 3, 3),
  r(3),
]);
check("maxPool2d", ([x]) => F.maxPool2d(x, 2), () => [r(1, 2, 4, 4)]);
check("avgPool2d", ([x]) => F.avgPool2d(x, 2), () => [r(1, 2, 4, 4)]);
check("adaptiveAvgPool2d", ([x]) => F.adaptiveAvgPool2d(x, 1), () => [r(2, 3, 3, 3)]);
check("interpolate bilinear", ([x]) => F.interpolate(x, [5, 5], "bilinear"), () => [r(1, 2, 3, 3)]);
check("interpolate nearest", ([x]) => F.interpolate(x, [6, 6], "nearest"), () => [r(1, 1, 3, 3)]);
check("reshape, permute, transpose", ([x]) => x.reshape([2, 3, 2]).permute([2, 0, 1]).transpose(0, 2).mul(x.sum()), () => [r(3, 4)]);
check("cat, stack", ([a, b]) => cat([stack([a, b], 0).sum([0]), a.mul(b)], 1), () => [r(2, 3), r(2, 3)]);
check("slice, select", ([a]) => a.slice(1, 1, 4, 2).mul(a.select(0, 1).slice(0, 0, 2)), () => [r(3, 5)]);
check("indexSelect, gather", ([a]) => a.indexSelect(0, tensor([2, 0], [2], "int64")).gather(1, tensor([1, 0, 1, 1], [2, 2], "int64")), () => [r(3, 2)]);
check("where, maskedFill", ([a, b]) => where(a.gt(0), a, b).maskedFill(b.gt(1), 0), () => [r(6), r(6)]);
check("sum, mean over dims", ([a]) => a.sum([1], true).mul(a.mean(0)), () => [r(3, 4)]);
check("amax, logsumexp", ([a]) => a.amax(1).add(a.logsumexp(1)), () => [r(3, 4)]);
check("max over dim", ([a]) => a.max(0).values, () => [r(3, 4)]);
check("topk", ([a]) => a.topk(2, 1).values, () => [r(3, 5)]);
check("sort", ([a]) => a.sort(1).values.mul(tensor([1, 2, 3], [3], "float64")), () => [r(2, 3)]);
check("crossEntropy", ([x]) => F.crossEntropy(x, tensor([1, 0, 3], [3], "int64")), () => [r(3, 4)]);
check("crossEntropy (label smoothing, ignore)", ([x]) => F.crossEntropy(x, tensor([1, -100, 3], [3], "int64"), { labelSmoothing: 0.1 }), () => [r(3, 4)]);
check("mseLoss", ([x, y]) => F.mseLoss(x, y), () => [r(3, 4), r(3, 4)]);
check("bceWithLogits", ([x]) => F.bceWithLogits(x, tensor([1, 0, 1, 0, 0, 1], [2, 3], "float64")), () => [r(2, 3)]);
check("attention", ([q, k, v]) => F.attention(q, k, v), () => [r(1, 2, 3, 4), r(1, 2, 3, 4), r(1, 2, 3, 4)]);
check("attention with mask", ([q, k, v]) => F.attention(q, k, v, tensor([0, 1, 0, 0, 0, 1, 0, 0, 0], [3, 3], "bool")), () => [
  r(1, 1, 3, 2),
  r(1, 1, 3, 2),
  r(1, 1, 3, 2),
]);


test("dropout scales kept units by 1/(1-p) and passes the same mask to the gradient", () => {
  tidy(() => {
    manualSeed(1);
    const x = randn([1000], undefined, "float64").setRequiresGrad(true);
    const y = F.dropout(x, 0.25, true);
    y.sum().backward();
    const g = x.grad!.toArray();
    const kept = g.filter((v) => v !== 0);
    assert.ok(kept.every((v) => Math.abs(v - 1 / 0.75) < 1e-12), "kept gradient is 1/(1-p)");
    assert.ok(Math.abs(kept.length / 1000 - 0.75) < 0.05, `keep rate ${kept.length / 1000}`);
    const yv = y.toArray();
    const xv = x.toArray();
    yv.forEach((v, i) => assert.ok(g[i] === 0 ? v === 0 : Math.abs(v - xv[i] / 0.75) < 1e-12));
    assert.deepEqual(F.dropout(x, 0.25, false).toArray(), xv, "identity in eval mode");
  });
});
