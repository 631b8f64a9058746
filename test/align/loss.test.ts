// The DPO loss and the sequence log-probability on tiny tensors: values and gradients by hand.
import assert from "node:assert/strict";
import { test } from "node:test";
import { dpoLoss, maskedKl, sequenceLogProb } from "../../src/align/loss.js";
import { IGNORE } from "../../src/generator/masking.js";
import { gradcheck, liveTensors, manualSeed, randn, tensor, tidy } from "../../src/torch/index.js";

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);
const f64 = (xs: number[]) => tensor(xs, [xs.length], "float64");
const lsig = (x: number) => -Math.log(1 + Math.exp(-x));

test("sequence log-probability: log-softmax at the targets, summed over masked positions only", () =>
  tidy(() => {
    // row 0: position 0 masked (target 1), position 1 not; row 1: both masked
    const logits = tensor([0, Math.log(3), 5, -5, 0, 0, 1, 1], [2, 2, 2], "float64");
    const target = tensor([1, IGNORE, 0, 1], [2, 2], "int64");
    const lp = sequenceLogProb(logits, target).toArray();
    close(lp[0], Math.log(3 / 4)); // the unmasked position (logits 5, -5) counts nothing
    close(lp[1], Math.log(1 / 2) + Math.log(1 / 2));
  }));

test("masked KL: KL(reference || policy) per masked position, averaged over them", () =>
  tidy(() => {
    // row 0, position 0 masked: reference (1/2, 1/2), policy (1/4, 3/4); position 1 unmasked (far apart: counts nothing)
    // row 1, position 1 masked: both (1/2, 1/2), KL 0
    const policy = tensor([0, Math.log(3), 9, -9, 0, 0, 1, 1], [2, 2, 2], "float64");
    const reference = tensor([0, 0, -9, 9, 0, 0, 2, 2], [2, 2, 2], "float64");
    const target = tensor([1, IGNORE, IGNORE, 0], [2, 2], "int64");
    const kl = 0.5 * Math.log(0.5 / 0.25) + 0.5 * Math.log(0.5 / 0.75);
    close(maskedKl(policy, reference, target).item(), kl / 2);
    close(maskedKl(reference, reference, target).item(), 0);
  }));

test("DPO loss: hand-computed values, rewards, margins", () =>
  tidy(() => {
    // pair 0: h = 0.1 * ((-10 + 12) - (-11 + 11)) = 0.2; pair 1: h = 0.1 * ((-5 + 4) - 0) = -0.1
    const out = dpoLoss({ policyChosen: f64([-10, -5]), policyRejected: f64([-12, -4]), refChosen: f64([-11, -5]), refRejected: f64([-11, -5]) }, 0.1);
    close(out.loss.item(), (Math.log(1 + Math.exp(-0.2)) + Math.log(1 + Math.exp(0.1))) / 2);
    close(out.loss.item(), 0.6712677642);
    assert.deepEqual(out.margins.toArray().map((x) => Math.round(x * 1e9) / 1e9), [0.2, -0.1]);
    assert.deepEqual(out.rewardsChosen.toArray().map((x) => Math.round(x * 1e9) / 1e9), [0.1, 0]);
    assert.deepEqual(out.rewardsRejected.toArray().map((x) => Math.round(x * 1e9) / 1e9), [-0.1, 0.1]);
    // policy equal to the reference: log 2 whatever beta
    const same = dpoLoss({ policyChosen: f64([-3, -7]), policyRejected: f64([-9, -1]), refChosen: f64([-3, -7]), refRejected: f64([-9, -1]) }, 0.5);
    close(same.loss.item(), Math.LN2);
  }));

test("DPO loss gradient: d/d pi_c = -beta/B sigmoid(-h), d/d pi_r = +beta/B sigmoid(-h); none to the reference", () =>
  tidy(() => {
    const pc = f64([-10, -5]).setRequiresGrad(true);
    const pr = f64([-12, -4]).setRequiresGrad(true);
    const out = dpoLoss({ policyChosen: pc, policyRejected: pr, refChosen: f64([-11, -5]), refRejected: f64([-11, -5]) }, 0.1);
    out.loss.backward();
    const s = (x: number) => 1 / (1 + Math.exp(-x));
    const gc = pc.grad!.toArray();
    const gr = pr.grad!.toArray();
    close(gc[0], -0.05 * s(-0.2)); // -0.0225083
    close(gc[1], -0.05 * s(0.1)); // -0.0262490
    close(gr[0], 0.05 * s(-0.2));
    close(gr[1], 0.05 * s(0.1));
    close(gc[0], -0.02250830, 1e-8);
  }));

test("pair weights change the gradient, not only its scale (reward-guided DPO)", () =>
  tidy(() => {
    const pc = f64([-10, -5]).setRequiresGrad(true);
    const pr = f64([-12, -4]).setRequiresGrad(true);
    const lp = { policyChosen: pc, policyRejected: pr, refChosen: f64([-11, -5]), refRejected: f64([-11, -5]) };
    const out = dpoLoss(lp, 0.1, f64([2, 0]));
    close(out.loss.item(), (2 * -lsig(0.2) + 0) / 2);
    out.loss.backward();
    const s = (x: number) => 1 / (1 + Math.exp(-x));
    const gc = pc.grad!.toArray();
    close(gc[0], -0.1 * s(-0.2)); // doubled
    assert.equal(Math.abs(gc[1]), 0); // a pair of weight 0 pushes nothing
  }));

test("sequence log-probability into the DPO loss: autograd agrees with finite differences", () => {
  manualSeed(5);
  tidy(() => {
    const B = 2;
    const L = 3;
    const K = 4;
    const tc = tensor([1, IGNORE, 3, 0, 2, IGNORE], [B, L], "int64");
    const tr = tensor([IGNORE, 2, 2, 1, 1, 3], [B, L], "int64");
    const refC = randn([B], undefined, "float64");
    const refR = randn([B], undefined, "float64");
    const res = gradcheck(
      ([lc, lr]) => dpoLoss({ policyChosen: sequenceLogProb(lc, tc), policyRejected: sequenceLogProb(lr, tr), refChosen: refC, refRejected: refR }, 0.7).loss,
      [randn([B, L, K], undefined, "float64"), randn([B, L, K], undefined, "float64")],
    );
    assert.ok(res.ok, `${res.worst} (error ${res.maxAbsError})`);
  });
});

test("the loss functions free every tensor they make", () => {
  const before = liveTensors();
  tidy(() => {
    const lp = { policyChosen: f64([-1]), policyRejected: f64([-2]), refChosen: f64([-1]), refRejected: f64([-2]) };
    dpoLoss(lp, 0.1).loss.item();
  });
  assert.equal(liveTensors(), before);
});
