// Masking of image tokens for training (MaskGIT / Show-o): which positions a row hides, and the
// targets of the hidden ones (IGNORE elsewhere, so the loss reads only masked positions).
import { F, type Tensor, rand, tensor, tidy, where } from "../torch/index.js";

/** The target of a position the loss must skip (cross-entropy's ignore index). */
export const IGNORE = -100;

/**
 * Masks each row with its own ratio cos(pi/2 u), u ~ U(0, 1), at least one position (with
 * `minRatio` m: m + (1 - m) cos(pi/2 u), so that every mask hides at least that share):
 * returns the input ids (mask id where masked) and targets (IGNORE where not masked).
 * `pairedHalves`: row i and row i + B/2 share one ratio and one set of positions (DPO's chosen
 * and rejected image of a pair, as Diffusion-DPO gives both the same timestep and noise), so
 * that their log-probabilities differ by the images, not by how much of each was hidden.
 */
export function maskTokens(tokens: number[][], maskId: number, L: number, o: { pairedHalves?: boolean; minRatio?: number } = {}) {
  return tidy(() => {
    const B = tokens.length;
    if (o.pairedHalves && B % 2 !== 0) throw new Error(`maskTokens: pairedHalves needs an even number of rows, got ${B}`);
    const ids = tensor(tokens.flat(), [B, L], "int64");
    const reps = o.pairedHalves ? 2 : 1;
    const n = B / reps;
    const m = o.minRatio ?? 0;
    if (!(m >= 0 && m < 1)) throw new Error(`maskTokens: minRatio must be in [0, 1), got ${m}`);
    const ratio = rand([n, 1]).mul(Math.PI / 2).cos().mul(1 - m).add(m).repeat([reps, 1]); // (B, 1)
    const count = ratio.mul(L).clamp(1, L).floor(); // positions to mask per row
    const rank = rand([n, L]).argsort(1).argsort(1).repeat([reps, 1]); // (B, L): a random rank per position
    const masked = rank.lt(count); // (B, L)
    return { input: where(masked, maskId, ids), target: where(masked, ids, IGNORE) };
  });
}

/**
 * The masked-token loss: mean cross-entropy over the masked positions (targets not IGNORE), the
 * generator's training loss. logits (B, L, K); target (B, L). Returns a scalar.
 */
export function maskedTokenLoss(logits: Tensor, target: Tensor): Tensor {
  return tidy(() => F.crossEntropy(logits.reshape([-1, logits.size(-1)]), target.reshape([-1]), { ignoreIndex: IGNORE }));
}

/**
 * One sampling step of each image's own trajectory (trajectory DPO): `order` (B, L) holds the
 * step at which the sampler fixed each position of `tokens` (B, L). Each row reads one step t of
 * `steps`, drawn uniformly: the input keeps the positions fixed before t and masks the rest (the
 * state the sampler was in), and the targets are the positions fixed at t (IGNORE elsewhere), so
 * that a sequence log-probability is that of step t's commits. `pairedHalves`: row i and row
 * i + B/2 read the same step (a pair's two images, each from its own state).
 */
export function trajectoryStep(tokens: number[][], order: number[][], maskId: number, L: number, steps: number, o: { pairedHalves?: boolean } = {}) {
  return tidy(() => {
    const B = tokens.length;
    if (order.length !== B) throw new Error(`trajectoryStep: ${B} rows of tokens but ${order.length} of orders`);
    if (o.pairedHalves && B % 2 !== 0) throw new Error(`trajectoryStep: pairedHalves needs an even number of rows, got ${B}`);
    const ids = tensor(tokens.flat(), [B, L], "int64");
    const at = tensor(order.flat(), [B, L], "int64");
    const reps = o.pairedHalves ? 2 : 1;
    const t = rand([B / reps, 1]).mul(steps).floor().clamp(0, steps - 1).to("int64").repeat([reps, 1]); // (B, 1)
    return { input: where(at.lt(t), ids, maskId), target: where(at.eq(t), ids, IGNORE) };
  });
}
