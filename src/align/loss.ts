// The DPO loss on the masked-token generator (METHOD.md section 3), as two small pure functions
// in the manner of TRL's DPO trainer: a sequence log-probability over the masked positions,
// and the sigmoid loss of (policy chosen, policy rejected, reference chosen, reference rejected).
import { F, type Tensor, tidy } from "../torch/index.js";
import { IGNORE } from "../generator/masking.js";


/**
 * log p(x) of each row over its masked positions: sum over positions with a target of
 * log_softmax(logits) at the target token. logits (B, L, K); target (B, L) int64, IGNORE
 * where not masked. Returns (B).
 */
export function sequenceLogProb(logits: Tensor, target: Tensor): Tensor {
  return tidy(() => {
    const [B, L, K] = logits.shape;
    if (target.shape.join("x") !== `${B}x${L}`) throw new Error(`sequenceLogProb: target ${target.shape.join("x")} does not match logits ${logits.shape.join("x")}`);
    // cross-entropy without reduction is -log_softmax at the target, and 0 where ignored
    const nll = F.crossEntropy(logits.reshape([B * L, K]), target.reshape([B * L]), { ignoreIndex: IGNORE, reduction: "none" }); // (B*L)
    return nll.reshape([B, L]).sum(1).neg(); // (B)
  });
}

export interface DpoLogProbs {
  policyChosen: Tensor; // (B) log p of the chosen image under the model being trained
  policyRejected: Tensor; // (B)
  refChosen: Tensor; // (B) the same under the frozen reference (no gradient)
  refRejected: Tensor; // (B)
}

export interface DpoLossOutput {
  /** scalar: mean over pairs of w_i * -log sigmoid(beta * h_i) */
  loss: Tensor;
  /** (B) implicit rewards beta * (policy - reference) of the chosen and the rejected image */
  rewardsChosen: Tensor;
  rewardsRejected: Tensor;
  /** (B) h_i scaled by beta: rewardsChosen - rewardsRejected; accuracy is the share above 0 */
  margins: Tensor;
}

/**
 * loss_i = -log sigmoid(beta * ((pi_c - pi_r) - (ref_c - ref_r))), averaged over the batch.
 * `weights` (B), if given, scales each pair's loss (reward-guided DPO: constants with respect
 * to the policy, so they reweight the pairs' gradients); the mean is still over B, so weights
 * normalised to mean 1 over the data keep the step size of plain DPO.
 */
export function dpoLoss(lp: DpoLogProbs, beta: number, weights?: Tensor): DpoLossOutput {
  return tidy(() => {
    const rewardsChosen = lp.policyChosen.sub(lp.refChosen).mul(beta); // (B)
    const rewardsRejected = lp.policyRejected.sub(lp.refRejected).mul(beta); // (B)
    const margins = rewardsChosen.sub(rewardsRejected); // (B)
    let perPair = margins.logSigmoid().neg(); // (B)
    if (weights) perPair = perPair.mul(weights);
    return { loss: perPair.mean(), rewardsChosen: rewardsChosen.detach(), rewardsRejected: rewardsRejected.detach(), margins: margins.detach() };
  });
}

/**
 * KL(reference || policy) of each masked position's token distribution, averaged over the masked
 * positions: a term that holds the policy's logits where the reference's are (DPO's unconditional
 * half, which the sampler's guidance subtracts). policy, reference (B, L, K) logits; target
 * (B, L), IGNORE where not masked. Returns a scalar.
 */
export function maskedKl(policy: Tensor, reference: Tensor, target: Tensor): Tensor {
  return tidy(() => {
    const [lq, lp] = [policy.logSoftmax(-1), reference.logSoftmax(-1)]; // (B, L, K)
    const kl = lp.exp().mul(lp.sub(lq)).sum(-1); // (B, L)
    const masked = target.ne(IGNORE).to(kl.dtype); // (B, L)
    return kl.mul(masked).sum().div(masked.sum());
  });
}
