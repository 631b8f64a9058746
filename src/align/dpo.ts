// One round of DPO on the masked-token generator (METHOD.md section 3). Each step: the chosen
// and rejected images of a batch of pairs are stacked into one batch of 2B rows, each pair's two
// rows masked alike (one cosine-schedule ratio and the same positions: maskTokens' pairedHalves,
// as Diffusion-DPO noises both images of a pair alike); the policy and the frozen reference
// read the same masked rows with the prompt as text (no prompt dropout); log p of each image is
// summed over its masked positions; the sigmoid loss against the reference. Three options, each
// off at 0:
//  - `cfg` g: log p under the guided logits the sampler draws from, (1 + g) cond - g uncond, both
//    halves from the model being trained. Plain DPO trains the conditional logits only, but they
//    share every weight with the unconditional half, and the samples depend on the guidance:
//    results/probe-cfg0-heldout-*.json (the conditional model gains, the guided one loses);
//  - `uncondAnchor`: instead hold the unconditional half where the reference has it, a KL term on
//    the chosen rows read without their prompt, so that the guidance carries the conditional gain;
//  - `nllWeight` (RPO: Pang et al. 2024): the chosen images' masked-token loss, which keeps their
//    likelihood from falling while the margin grows (DPO's loss alone can lower both).
// And `trajectory`: instead of random masks, each image is read at one step of the sampler's own
// trajectory (the ranking keeps the step at which each position was fixed): T times log p of the
// tokens that step fixed, given the state the sampler was in, both images of a pair at the same
// step (the per-step decisions of Diffusion-DPO's and D3PO's sampling chains).
// AdamW (weight decay 0.01 on matrices), linear warmup over 10% of the steps then cosine to 0,
// gradient clipping at 1. The reference's log-probabilities cannot be computed once ahead (as
// TRL can precompute them): the masks are drawn afresh every step, so they are computed once
// per step, under noGrad, on the same masked rows as the policy's. Resumable: checkpoint and
// log in runDir (../train/harness.ts), a step's masks fixed by its number, the pairs' order by the seed.
import type { MaskedGenerator } from "../generator/model.js";
import { promptIds } from "../generator/prompt.js";
import { maskTokens, maskedTokenLoss, trajectoryStep } from "../generator/masking.js";
import { guide } from "../generator/sampler.js";
import { AdamW, type Tensor, cat, noGrad, tensor } from "../torch/index.js";
import { saveWeights } from "../train/checkpoint.js";
import { runTraining } from "../train/harness.js";
import type { LogEntry } from "../train/log.js";
import { InputError } from "../util/errors.js";
import { mulberry32, sampleDistinct } from "../util/prng.js";
import { dpoLoss, maskedKl, sequenceLogProb } from "./loss.js";
import { type Pair, pairsHash } from "./pairs.js";

export interface TrainDpoOptions {
  runDir: string; // checkpoint, log, loss curve
  out: string; // final weights
  /** optimizer steps; default: `epochs` passes over the pairs */
  steps?: number;
  epochs: number;
  batch: number; // pairs per step (2 x batch rows per forward)
  lr: number; // peak learning rate
  beta: number; // DPO's KL strength
  /** weight of the chosen images' masked-token loss beside DPO's (0: plain DPO) */
  nllWeight: number;
  /** guidance of the log-probabilities: 0 the conditional logits, g > 0 the sampler's guided ones */
  cfg: number;
  /** weight of a term holding the unconditional ([NULL]) half's logits to the reference's (0: none) */
  uncondAnchor: number;
  /**
   * masks per pair and step: each image's log-likelihood is the mean over this many masks, a pair's
   * two images masked alike in each (1: one mask a step). One mask reads a random share of the
   * positions, which may miss where the two images differ; more cost a forward pass each. With
   * `trajectory`, the number of trajectory steps drawn per pair instead.
   */
  masks: number;
  /**
   * the least share of positions a mask hides (0: the training schedule's cos(pi/2 u)). The
   * sampler decides an image's layout in its first steps, from nearly all-masked rows: a floor
   * puts DPO's likelihoods where those decisions are made (as Diffusion-DPO may weight its timesteps).
   */
  minMaskRatio: number;
  /**
   * read each image at a uniformly drawn step of its own sampling trajectory (the pairs' orders)
   * instead of under a random mask: DPO's likelihood is then that of the sampler's decisions
   */
  trajectory: boolean;
  weightDecay: number;
  warmup: number; // share of the steps with linear warmup
  seed: number;
  /** reward-guided: scale each pair's loss by its weight from the pairs file */
  weighted: boolean;
  checkpointEvery: number;
  logEvery: number;
  /** Stop after this step, checkpointed, without finishing; rerun to go on. */
  stopAt?: number;
  /** extra metadata for the weights file (the command that made them, the reference) */
  metadata?: Record<string, string>;
  onLog?: (entry: LogEntry) => void;
}

export const DPO_DEFAULTS = { epochs: 1, batch: 16, lr: 1e-5, beta: 0.1, nllWeight: 0, cfg: 0, uncondAnchor: 0, masks: 1, minMaskRatio: 0, trajectory: false, weightDecay: 0.01, warmup: 0.1, checkpointEvery: 50, logEvery: 10 } as const;

/** Steps of a run: as given, or `epochs` passes over the pairs. */
export function dpoSteps(pairs: number, o: Pick<TrainDpoOptions, "steps" | "epochs" | "batch">): number {
  return o.steps ?? Math.max(1, Math.ceil((o.epochs * pairs) / o.batch));
}

/** The pairs of a step: position j = step * batch + b walks epoch after epoch, each a seeded shuffle. */
export function batchIndices(step: number, batch: number, n: number, seed: number, cache = new Map<number, number[]>()): number[] {
  return Array.from({ length: batch }, (_, b) => {
    const j = step * batch + b;
    const epoch = Math.floor(j / n);
    let perm = cache.get(epoch);
    if (!perm) {
      perm = sampleDistinct(mulberry32((seed * 7919 + epoch) >>> 0), n, n);
      cache.set(epoch, perm);
    }
    return perm[j % n];
  });
}

/**
 * The sampler's steps T of trajectory pairs: 1 + the last step of every image's order (the last
 * step fixes what is left). Every pair must have orders of L whole steps and the same T: pairs of
 * rankings with other step counts would draw steps where they fixed nothing.
 */
function trajectorySteps(pairs: readonly Pair[], L: number): number {
  let T = 0;
  for (const p of pairs) {
    const orders = [p.chosen_order, p.rejected_order];
    if (orders.some((o) => o === undefined))
      throw new InputError(`pair of prompt ${p.prompt_index} has no sampling orders: trajectory DPO needs pairs from a ranking that kept them (rank into a new --out folder: records made before are kept as they were)`);
    for (const o of orders as number[][]) {
      if (o.length !== L || !o.every((x) => Number.isInteger(x) && x >= 0))
        throw new InputError(`pair of prompt ${p.prompt_index} has a sampling order that is not ${L} steps of at least 0`);
      const last = Math.max(...o) + 1;
      if (T === 0) T = last;
      if (last !== T) throw new InputError(`pair of prompt ${p.prompt_index} was sampled in ${last} steps, another pair in ${T}: trajectory DPO reads pairs of one step count`);
    }
  }
  return T;
}

export interface DpoRunResult {
  finished: boolean; // false when stopped at stopAt
  steps: number;
}

/**
 * Trains `policy` in place against `reference` (frozen here: eval mode, no gradients). The
 * policy also runs in eval mode: dropout off, as TRL's DPO trainer does by default, so that
 * at step 0 the policy's and the reference's log-probabilities agree and the loss is log 2.
 */
export function trainDpo(o: TrainDpoOptions, policy: MaskedGenerator, reference: MaskedGenerator, pairs: readonly Pair[]): DpoRunResult {
  if (pairs.length === 0) throw new Error("no pairs to train on");
  const c = policy.config;
  if (JSON.stringify(c) !== JSON.stringify(reference.config)) throw new Error("policy and reference have different configs");
  const L = c.imageTokens;
  for (const p of pairs)
    if (p.chosen_tokens.length !== L || p.rejected_tokens.length !== L)
      throw new Error(`pair of prompt ${p.prompt_index} has ${p.chosen_tokens.length} tokens; the generator makes ${L}`);
  if (o.trajectory && o.minMaskRatio > 0) throw new InputError("a mask-ratio floor has no meaning for trajectory DPO, which reads the sampler's own states");
  const T = o.trajectory ? trajectorySteps(pairs, L) : 0;
  const steps = dpoSteps(pairs.length, o);
  policy.eval();
  reference.eval().requiresGrad(false);
  const opt = new AdamW(policy.namedParameters(), { lr: o.lr, weightDecay: o.weightDecay });
  const perms = new Map<number, number[]>();
  const nullRow = promptIds(null, c.maxText);
  const nullText = (R: number) => tensor(Array.from({ length: R }, () => nullRow).flat(), [R, c.maxText], "int64");
  /**
   * logits (R, L, K) of R masked rows under `o.cfg`; with guidance both halves come from one
   * forward pass, and the unconditional one (R, L, K) is kept for the anchor
   */
  const logitsOf = (m: MaskedGenerator, text: Tensor, image: Tensor): { logits: Tensor; uncond: Tensor | null } => {
    if (o.cfg === 0) return { logits: m.forward({ text, image }), uncond: null };
    const R = image.size(0);
    const out = m.forward({ text: cat([text, nullText(R)]), image: cat([image, image]) }); // (2R, L, K)
    const uncond = out.slice(0, R);
    return { logits: guide(out.slice(0, 0, R), uncond, o.cfg), uncond };
  };
  /** the unconditional logits (B, L, K) of the first B masked rows: the guided pass's half where there is one */
  const uncondOf = (m: MaskedGenerator, read: { uncond: Tensor | null }, image: Tensor): Tensor =>
    read.uncond ? read.uncond.slice(0, 0, image.size(0)) : m.forward({ text: nullText(image.size(0)), image });
  const run = runTraining({
    runDir: o.runDir,
    model: policy,
    optimizer: opt,
    steps,
    stopAt: o.stopAt,
    seed: o.seed,
    // TRL's: a warmup share of the steps, cosine to 0
    schedule: { lr: o.lr, minLr: 0, warmupSteps: Math.max(1, Math.round(o.warmup * steps)), totalSteps: steps },
    logEvery: o.logEvery,
    checkpointEvery: o.checkpointEvery,
    state: { pairs: pairs.length, pairs_hash: pairsHash(pairs), steps },
    data: (step) => batchIndices(step, o.batch, pairs.length, o.seed, perms).map((i) => pairs[i]),
    loss: (batch) => {
      const [B, M] = [batch.length, o.masks];
      const times = <T>(xs: T[]) => Array.from({ length: M }, () => xs).flat();
      // 2BM rows: the chosen images M times, then the rejected ones M times; row i and row i + BM are
      // one pair under one mask (or at one trajectory step)
      const rows = [...times(batch.map((p) => p.chosen_tokens)), ...times(batch.map((p) => p.rejected_tokens))];
      const text = times(batch.map((p) => promptIds(p.prompt, c.maxText)));
      const { input, target } = o.trajectory // (2BM, L) each
        ? trajectoryStep(rows, [...times(batch.map((p) => p.chosen_order!)), ...times(batch.map((p) => p.rejected_order!))], policy.maskId, L, T, { pairedHalves: true })
        : maskTokens(rows, policy.maskId, L, { pairedHalves: true, minRatio: o.minMaskRatio });
      const txt = tensor([...text, ...text].flat(), [2 * B * M, c.maxText], "int64");
      // (2BM) -> (2B): each image's log-likelihood, the mean over its M masks; along a trajectory, T
      // times one uniformly drawn step's is an unbiased estimate of the whole trajectory's (the factor
      // T of Diffusion-DPO's loss): without it a step's few tokens leave DPO a tenth of the anchor's
      // weight (results/dpo-val-trajectory-unscaled.json)
      const perImage = (lp: Tensor) => lp.reshape([2, M, B]).mean(1).reshape([2 * B]).mul(o.trajectory ? T : 1);
      const refRead = noGrad(() => logitsOf(reference, txt, input));
      const ref = perImage(sequenceLogProb(refRead.logits, target)); // (2B)
      const polRead = logitsOf(policy, txt, input);
      const logits = polRead.logits; // (2BM, L, K)
      const pol = perImage(sequenceLogProb(logits, target)); // (2B)
      const weights = o.weighted ? tensor(batch.map((p) => p.weight), [B]) : undefined;
      const out = dpoLoss(
        { policyChosen: pol.slice(0, 0, B), policyRejected: pol.slice(0, B), refChosen: ref.slice(0, 0, B), refRejected: ref.slice(0, B) },
        o.beta,
        weights,
      );
      const nll = o.nllWeight > 0 ? maskedTokenLoss(logits.slice(0, 0, B), target.slice(0, 0, B)) : null; // the chosen rows' (first mask)
      // KL(reference || policy) of the chosen rows (first mask) without their prompt: the unconditional half, held to the reference's
      const chosen = input.slice(0, 0, B);
      const anchor = o.uncondAnchor > 0 ? maskedKl(uncondOf(policy, polRead, chosen), noGrad(() => uncondOf(reference, refRead, chosen)), target.slice(0, 0, B)) : null;
      let loss = out.loss;
      if (nll) loss = loss.add(nll.mul(o.nllWeight));
      if (anchor) loss = loss.add(anchor.mul(o.uncondAnchor));
      return {
        loss,
        metrics: {
          ...(nll ? { nll: nll.item() } : {}),
          ...(anchor ? { uncond_kl: anchor.item() } : {}),
          // reward-guided runs: the plain DPO loss of the same batch, comparable with a plain run's
          ...(o.weighted ? { loss_unweighted: out.margins.logSigmoid().neg().mean().item() } : {}),
          accuracy: out.margins.gt(0).to("float32").mean().item(),
          margin: out.margins.mean().item(),
          reward_chosen: out.rewardsChosen.mean().item(),
          reward_rejected: out.rewardsRejected.mean().item(),
        },
      };
    },
    curve: { metrics: ["loss"], title: "DPO" },
    onLog: o.onLog,
  });
  if (!run.finished) return { finished: false, steps };
  saveWeights(o.out, policy, c, {
    ...o.metadata,
    method: o.weighted ? "reward-guided dpo" : "dpo",
    steps: String(steps),
    pairs: String(pairs.length),
    batch: String(o.batch),
    lr: String(o.lr),
    beta: String(o.beta),
    nll_weight: String(o.nllWeight),
    cfg: String(o.cfg),
    uncond_anchor: String(o.uncondAnchor),
    masks: String(o.masks),
    min_mask_ratio: String(o.minMaskRatio),
    trajectory: String(o.trajectory),
    seed: String(o.seed),
  });
  return { finished: true, steps };
}
