// DPO training on a tiny generator: log 2 at the start, it learns a preference (under random
// masks and along the sampler's trajectories), a stopped run resumes exactly, and the pair
// weights of reward-guided DPO reach the gradient.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { type TrainDpoOptions, batchIndices, dpoSteps, trainDpo } from "../../src/align/dpo.js";
import { maskedKl, sequenceLogProb } from "../../src/align/loss.js";
import { IGNORE } from "../../src/generator/masking.js";
import type { Pair } from "../../src/align/pairs.js";
import { MaskedGenerator } from "../../src/generator/model.js";
import { promptIds } from "../../src/generator/prompt.js";
import { guide } from "../../src/generator/sampler.js";
import { loadGenerator } from "../../src/models/load.js";
import { dispose, loadSafetensors, manualSeed, noGrad, tensor, tidy } from "../../src/torch/index.js";
import { readTrainLog } from "../../src/train/log.js";
import { mulberry32 } from "../../src/util/prng.js";
import { GEN_CONFIG } from "./tiny.js";

const model = () => {
  manualSeed(0);
  return new MaskedGenerator(GEN_CONFIG);
};

const PROMPTS = ["a photo of a circle", "a photo of two squares", "a photo of a red star"];
/** chosen images are mostly token 3, rejected ones mostly token 5 */
function pairs(n: number): Pair[] {
  const rng = mulberry32(42);
  const row = (favourite: number) => Array.from({ length: GEN_CONFIG.imageTokens }, () => (rng() < 0.7 ? favourite : Math.floor(rng() * 16)));
  return Array.from({ length: n }, (_, i) => ({
    prompt: PROMPTS[i % 3],
    chosen: `c${i}.png`,
    rejected: `r${i}.png`,
    prompt_index: i,
    tag: "single_object",
    chosen_sample: 0,
    rejected_sample: 1,
    chosen_tokens: row(3),
    rejected_tokens: row(5),
    weight: 1,
  }));
}

const base = (dir: string, extra: Partial<TrainDpoOptions> = {}): TrainDpoOptions => ({
  runDir: join(dir, "run"),
  out: join(dir, "out.safetensors"),
  epochs: 1,
  batch: 4,
  lr: 3e-3,
  beta: 0.5,
  nllWeight: 0,
  cfg: 0,
  uncondAnchor: 0,
  masks: 1,
  minMaskRatio: 0,
  trajectory: false,
  weightDecay: 0.01,
  warmup: 0.1,
  seed: 1,
  weighted: false,
  checkpointEvery: 4,
  logEvery: 1,
  ...extra,
});

const weightsOf = (m: MaskedGenerator) => [...m.stateDict()].map(([k, v]) => [k, v.toArray()] as const);

/** The pairs' rows with every image position masked, read with each pair's prompt or, unconditional, none. */
function fullyMasked(m: MaskedGenerator, ps: Pair[], unconditional = false) {
  const L = GEN_CONFIG.imageTokens;
  const text = ps.flatMap((p) => promptIds(unconditional ? null : p.prompt, GEN_CONFIG.maxText));
  return { text: tensor(text, [ps.length, GEN_CONFIG.maxText], "int64"), image: tensor(new Array(ps.length * L).fill(m.maskId), [ps.length, L], "int64") };
}

/** The chosen images' tokens as targets (ps.length, L). */
const chosenTargets = (ps: Pair[]) => tensor(ps.flatMap((p) => p.chosen_tokens), [ps.length, GEN_CONFIG.imageTokens], "int64");

/** log p of the whole chosen and rejected images (every position masked), summed over the pairs; under guidance g when given. */
function fullLogProbs(m: MaskedGenerator, ps: Pair[], g = 0): { chosen: number; rejected: number } {
  return noGrad(() =>
    tidy(() => {
      const cond = m.forward(fullyMasked(m, ps));
      const logits = g === 0 ? cond : guide(cond, m.forward(fullyMasked(m, ps, true)), g);
      const lp = (rows: number[][]) => sequenceLogProb(logits, tensor(rows.flat(), [ps.length, GEN_CONFIG.imageTokens], "int64")).sum().item();
      return { chosen: lp(ps.map((p) => p.chosen_tokens)), rejected: lp(ps.map((p) => p.rejected_tokens)) };
    }),
  );
}

/** A fresh tiny model trained 4 epochs on `data` against `reference` in dir/name (removed after), with its log. */
function trained(dir: string, name: string, data: Pair[], reference: MaskedGenerator, extra: Partial<TrainDpoOptions> = {}) {
  const policy = model();
  trainDpo(base(join(dir, name), { epochs: 4, ...extra }), policy, reference, data);
  const log = readTrainLog(join(dir, name, "run", "log.jsonl"));
  rmSync(join(dir, name), { recursive: true });
  return { policy, log };
}

test("pair order: every pair once per epoch, seeded", () => {
  const cache = new Map<number, number[]>();
  const epoch0 = [0, 1, 2].flatMap((s) => batchIndices(s, 4, 12, 7, cache));
  assert.deepEqual([...epoch0].sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => i));
  assert.notDeepEqual(batchIndices(3, 4, 12, 7), batchIndices(0, 4, 12, 7), "the next epoch is shuffled afresh");
  assert.deepEqual(batchIndices(5, 4, 12, 7), batchIndices(5, 4, 12, 7, cache));
  assert.equal(dpoSteps(10, { epochs: 1, batch: 4 }), 3);
  assert.equal(dpoSteps(10, { epochs: 1, batch: 4, steps: 7 }), 7);
});

test("DPO: log 2 at the first step, then the preference is learned", () => {
  const dir = mkdtempSync(join(tmpdir(), "imagecot-dpo-"));
  const data = pairs(24);
  const policy = model();
  const reference = model();
  const before = fullLogProbs(policy, data);
  const res = trainDpo(base(dir, { epochs: 4 }), policy, reference, data);
  assert.deepEqual(res, { finished: true, steps: 24 });
  const log = readTrainLog(join(dir, "run", "log.jsonl"));
  assert.equal(log.length, 24);
  assert.ok(Math.abs(log[0].loss - Math.LN2) < 1e-5, `first loss ${log[0].loss}`);
  const late = log.slice(-4);
  const mean = (k: string) => late.reduce((a, e) => a + e[k], 0) / late.length;
  assert.ok(mean("loss") < 0.55, `late loss ${mean("loss")}`);
  assert.ok(mean("accuracy") > 0.8, `late accuracy ${mean("accuracy")}`);
  const after = fullLogProbs(policy, data);
  assert.ok(after.chosen - after.rejected > before.chosen - before.rejected + 1, "the chosen images gained on the rejected ones");
  // the reference did not move
  assert.deepEqual(weightsOf(reference), weightsOf(model()));
  // the shipped form: weights with config and provenance
  const loaded = loadGenerator(join(dir, "out.safetensors"));
  assert.deepEqual(weightsOf(loaded), weightsOf(policy));
  assert.ok(existsSync(join(dir, "run", "loss.png")));
  [policy, reference, loaded].forEach((m) => m.dispose());
  rmSync(dir, { recursive: true });
});

test("RPO: the chosen images' masked-token loss, weighted beside DPO's, keeps their likelihood up", () => {
  const dir = mkdtempSync(join(tmpdir(), "imagecot-dpo-nll-"));
  const data = pairs(24);
  const reference = model();
  const [plain, rpo] = [trained(dir, "plain", data, reference), trained(dir, "rpo", data, reference, { nllWeight: 1 })];
  assert.equal(plain.log[0].nll, undefined);
  // at the first step DPO's part is log 2, so the loss is log 2 plus the chosen rows' loss
  assert.ok(Math.abs(rpo.log[0].loss - (Math.LN2 + rpo.log[0].nll)) < 1e-5, `${rpo.log[0].loss} vs ${Math.LN2} + ${rpo.log[0].nll}`);
  const [lpPlain, lpRpo] = [fullLogProbs(plain.policy, data), fullLogProbs(rpo.policy, data)];
  assert.ok(lpRpo.chosen > lpPlain.chosen + 1, `chosen log p ${lpRpo.chosen} (RPO) vs ${lpPlain.chosen} (DPO)`);
  [plain.policy, rpo.policy, reference].forEach((m) => m.dispose());
  rmSync(dir, { recursive: true });
});

test("guided DPO: log 2 at the first step, and the preference is learned under the sampler's guidance", () => {
  const dir = mkdtempSync(join(tmpdir(), "imagecot-dpo-cfg-"));
  const data = pairs(24);
  const reference = model();
  const before = fullLogProbs(reference, data, 1.75);
  const saved = join(dir, "guided.safetensors");
  const guided = trained(dir, "guided", data, reference, { cfg: 1.75, out: saved });
  assert.ok(Math.abs(guided.log[0].loss - Math.LN2) < 1e-5, `first loss ${guided.log[0].loss}`);
  const after = fullLogProbs(guided.policy, data, 1.75);
  assert.ok(after.chosen - after.rejected > before.chosen - before.rejected + 1, "the chosen images gained on the rejected ones under guidance");
  const file = loadSafetensors(saved);
  dispose([...file.tensors.values()]);
  assert.equal(file.metadata.cfg, "1.75");
  // the unconditional half is in the gradient: plain DPO on the same data ends elsewhere
  const plain = trained(dir, "plain", data, reference);
  assert.notDeepEqual(weightsOf(plain.policy), weightsOf(guided.policy));
  [guided.policy, plain.policy, reference].forEach((m) => m.dispose());
  rmSync(dir, { recursive: true });
});

test("unconditional anchor: the [NULL] half stays nearer the reference's than under plain DPO", () => {
  const dir = mkdtempSync(join(tmpdir(), "imagecot-dpo-anchor-"));
  const data = pairs(24);
  const reference = model();
  /** KL(reference || m) of the unconditional logits on the chosen images, every position masked */
  const uncondKl = (m: MaskedGenerator) =>
    noGrad(() => tidy(() => maskedKl(m.forward(fullyMasked(m, data, true)), reference.forward(fullyMasked(m, data, true)), chosenTargets(data)).item()));
  const [plain, anchored] = [trained(dir, "plain", data, reference), trained(dir, "anchored", data, reference, { uncondAnchor: 10 })];
  assert.ok(Math.abs(anchored.log[0].uncond_kl) < 1e-6 && Math.abs(anchored.log[0].loss - Math.LN2) < 1e-5, "at the first step the policy is the reference");
  const [kPlain, kAnchored] = [uncondKl(plain.policy), uncondKl(anchored.policy)];
  assert.ok(kAnchored < kPlain / 2, `unconditional KL ${kAnchored} (anchored) vs ${kPlain} (plain)`);
  // with guidance the anchor reads the guided pass's own unconditional half: from a policy away
  // from the reference, a step's anchor is the one a run without guidance reads (same masks)
  const anchorAt = (cfg: number): number => {
    manualSeed(7);
    const away = new MaskedGenerator(GEN_CONFIG);
    trainDpo(base(join(dir, `away-${cfg}`), { steps: 1, lr: 0, cfg, uncondAnchor: 10 }), away, reference, data);
    away.dispose();
    return readTrainLog(join(dir, `away-${cfg}`, "run", "log.jsonl"))[0].uncond_kl;
  };
  const [klPlain, klGuided] = [anchorAt(0), anchorAt(1.75)];
  assert.ok(klPlain > 1e-3 && Math.abs(klGuided - klPlain) < 1e-5, `anchor ${klGuided} under guidance, ${klPlain} without`);
  [plain.policy, anchored.policy, reference].forEach((m) => m.dispose());
  rmSync(dir, { recursive: true });
});

test("masks per pair: a pair's two images share each of its masks, and the preference is learned", () => {
  const dir = mkdtempSync(join(tmpdir(), "imagecot-dpo-masks-"));
  const reference = model();
  // a policy away from the reference: pairs of one image twice have margin 0 only if both rows of a pair read the same masks
  const other = () => {
    manualSeed(7);
    return new MaskedGenerator(GEN_CONFIG);
  };
  const same = pairs(8).map((p) => ({ ...p, rejected_tokens: p.chosen_tokens }));
  const twins = other();
  trainDpo(base(join(dir, "twins"), { steps: 2, lr: 0, masks: 3 }), twins, reference, same);
  const log = readTrainLog(join(dir, "twins", "run", "log.jsonl"));
  assert.ok(log.every((e) => e.margin === 0 && e.accuracy === 0), `margins ${log.map((e) => e.margin)}`);
  assert.ok(log.some((e) => e.reward_chosen !== 0), "the policy is not the reference");
  twins.dispose();
  // three masks a step learn the preference as one does, and the file records them
  const { policy, log: learned } = trained(dir, "three", pairs(24), reference, { masks: 3 });
  const late = learned.slice(-4).reduce((a, e) => a + e.accuracy, 0) / 4;
  assert.ok(late > 0.8, `late accuracy ${late}`);
  policy.dispose();
  const three = other();
  trainDpo(base(join(dir, "meta"), { steps: 1, masks: 3, minMaskRatio: 0.8 }), three, reference, pairs(4));
  const meta = loadSafetensors(join(dir, "meta", "out.safetensors")).metadata;
  assert.equal(meta.masks, "3");
  assert.equal(meta.min_mask_ratio, "0.8");
  three.dispose();
  reference.dispose();
  rmSync(dir, { recursive: true });
});

test("trajectory DPO: log 2 at the first step, the preference learned from the sampler's states; pairs without orders refused", () => {
  const dir = mkdtempSync(join(tmpdir(), "imagecot-dpo-traj-"));
  const rng = mulberry32(9);
  const T = 4;
  // random steps, the last step fixing the last position (as the sampler's last step fixes what is left)
  const order = () => Array.from({ length: GEN_CONFIG.imageTokens }, (_, j) => (j === GEN_CONFIG.imageTokens - 1 ? T - 1 : Math.floor(rng() * T)));
  const data = pairs(24).map((p) => ({ ...p, chosen_order: order(), rejected_order: order() }));
  const reference = model();
  const { policy, log } = trained(dir, "traj", data, reference, { trajectory: true });
  assert.ok(Math.abs(log[0].loss - Math.LN2) < 1e-5, `first loss ${log[0].loss}`);
  const late = log.slice(-4).reduce((a, e) => a + e.accuracy, 0) / 4;
  assert.ok(late > 0.8, `late accuracy ${late}`);
  policy.dispose();
  const one = model();
  trainDpo(base(join(dir, "meta"), { steps: 1, trajectory: true }), one, reference, data.slice(0, 4));
  assert.equal(loadSafetensors(join(dir, "meta", "out.safetensors")).metadata.trajectory, "true");
  assert.throws(() => trainDpo(base(join(dir, "none"), { trajectory: true }), one, reference, pairs(4)), /pair of prompt 0 has no sampling orders/);
  const bad = (p: Pair, o: number[]) => ({ ...p, rejected_order: o });
  assert.throws(() => trainDpo(base(join(dir, "bad"), { trajectory: true }), one, reference, [bad(data[0], [-1, ...data[0].rejected_order.slice(1)])]), new RegExp(`not ${GEN_CONFIG.imageTokens} steps of at least 0`));
  assert.throws(() => trainDpo(base(join(dir, "bad"), { trajectory: true }), one, reference, [bad(data[0], data[0].rejected_order.slice(1))]), new RegExp(`not ${GEN_CONFIG.imageTokens} steps of at least 0`));
  const shorter = { ...data[1], chosen_order: data[1].chosen_order.map((x) => x % 2), rejected_order: data[1].rejected_order.map((x) => x % 2) };
  assert.throws(() => trainDpo(base(join(dir, "mixed"), { trajectory: true }), one, reference, [data[0], shorter]), /sampled in 2 steps, another pair in 4/);
  // T times the step's log p: every position fixed at step 1 of T = 2, a step reads either
  // nothing (step 0) or the whole image from the fully masked state (step 1): its reward is 0 or
  // 2 beta (log p - log p_ref) of the whole image
  const other = () => {
    manualSeed(7);
    return new MaskedGenerator(GEN_CONFIG);
  };
  const away = other();
  const fixedLate = data.slice(0, 6).map((p) => ({ ...p, chosen_order: p.chosen_order.map(() => 1), rejected_order: p.rejected_order.map(() => 1) }));
  trainDpo(base(join(dir, "scale"), { steps: 6, batch: 1, lr: 0, trajectory: true }), away, reference, fixedLate);
  const steps = readTrainLog(join(dir, "scale", "run", "log.jsonl"));
  const whole = steps.map((_, s) => {
    const [p] = batchIndices(s, 1, fixedLate.length, 1).map((i) => fixedLate[i]);
    return 2 * 0.5 * (fullLogProbs(away, [p]).chosen - fullLogProbs(reference, [p]).chosen);
  });
  const read = steps.map((e, s) => (Math.abs(e.reward_chosen) < 1e-6 ? 0 : (assert.ok(Math.abs(e.reward_chosen - whole[s]) < 1e-3 * Math.abs(whole[s]), `step ${s}: ${e.reward_chosen} against ${whole[s]}`), 1)));
  assert.ok(read.includes(0) && read.includes(1), `both steps drawn: ${read}`);
  away.dispose();
  assert.throws(() => trainDpo(base(join(dir, "floor"), { trajectory: true, minMaskRatio: 0.5 }), one, reference, data), /mask-ratio floor has no meaning/);
  [one, reference].forEach((m) => m.dispose());
  rmSync(dir, { recursive: true });
});

test("DPO stopped part-way and rerun ends where an uninterrupted run does", () => {
  const dir = mkdtempSync(join(tmpdir(), "imagecot-dpo-resume-"));
  const data = pairs(16);
  const ref = model();
  const a = model();
  trainDpo(base(join(dir, "a"), { epochs: 2 }), a, ref, data);
  const b = model();
  const stopped = trainDpo(base(join(dir, "b"), { epochs: 2, stopAt: 3 }), b, ref, data);
  assert.deepEqual(stopped, { finished: false, steps: 8 });
  assert.equal(existsSync(join(dir, "b", "out.safetensors")), false);
  b.dispose();
  const c = model(); // a fresh process would start from the starting weights again
  trainDpo(base(join(dir, "b"), { epochs: 2 }), c, ref, data);
  assert.deepEqual(weightsOf(c), weightsOf(a));
  assert.deepEqual(readTrainLog(join(dir, "b", "run", "log.jsonl")).map((e) => e.step), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.throws(() => trainDpo(base(join(dir, "b"), { epochs: 2 }), model(), ref, pairs(12)), /another run \(pairs 16, this run 12\)/);
  // as many pairs of another scheme (here each pair swapped) are other pairs too
  const swapped = data.map((p) => ({ ...p, chosen_tokens: p.rejected_tokens, rejected_tokens: p.chosen_tokens }));
  assert.throws(() => trainDpo(base(join(dir, "b"), { epochs: 2 }), model(), ref, swapped), /another run \(pairs_hash /);
  [a, c, ref].forEach((m) => m.dispose());
  rmSync(dir, { recursive: true });
});

test("reward-guided: pair weights reach the gradient (weight 0 everywhere: nothing moves)", () => {
  const dir = mkdtempSync(join(tmpdir(), "imagecot-dpo-w-"));
  const zero = pairs(8).map((p) => ({ ...p, weight: 0 }));
  const ref = model();
  const start = weightsOf(ref);
  const w = model();
  trainDpo(base(join(dir, "w"), { weighted: true, weightDecay: 0 }), w, ref, zero);
  assert.deepEqual(weightsOf(w), start, "every pair weighted 0: no step");
  const u = model();
  trainDpo(base(join(dir, "u"), { weighted: false, weightDecay: 0 }), u, ref, zero);
  assert.notDeepEqual(weightsOf(u), start, "plain DPO ignores the weights");
  [ref, w, u].forEach((m) => m.dispose());
  rmSync(dir, { recursive: true });
});

test("masked positions only: a target left unmasked adds nothing", () =>
  tidy(() => {
    const m = model().eval();
    const L = GEN_CONFIG.imageTokens;
    const text = tensor(promptIds(PROMPTS[0], GEN_CONFIG.maxText), [1, GEN_CONFIG.maxText], "int64");
    const image = tensor(Array.from({ length: L }, (_, i) => (i < 4 ? m.maskId : 1)), [1, L], "int64");
    const logits = noGrad(() => m.forward({ text, image }));
    const t = Array.from({ length: L }, (_, i) => (i < 4 ? 3 : IGNORE));
    const all = sequenceLogProb(logits, tensor(t, [1, L], "int64")).item();
    const lsm = logits.logSoftmax(-1).toArray();
    const byHand = [0, 1, 2, 3].reduce((a, i) => a + lsm[i * 16 + 3], 0);
    assert.ok(Math.abs(all - byHand) < 1e-4);
    m.dispose();
  }));
