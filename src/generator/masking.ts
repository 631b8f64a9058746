// Masking of image tokens for training (MaskGIT / Show-o): which positions a row hides, and the
// targets of the hidden ones (IGNORE elsewhere, so the loss reads only masked positions).
import { rand, tensor, tidy, where } from "../torch/index.js";

/** The target of a position the loss must skip (cross-entropy's ignore index). */
export const IGNORE = -100;

/**
 * Masks each row with its own ratio cos(pi/2 u), u ~ U(0, 1), at least one position:
 * returns the input ids (mask id where masked) and targets (IGNORE where not masked).
 */
export function maskTokens(tokens: number[][], maskId: number, L: number) {
  return tidy(() => {
    const B = tokens.length;
    const ids = tensor(tokens.flat(), [B, L], "int64");
    const ratio = rand([B, 1]).mul(Math.PI / 2).cos(); // (B, 1)
    const count = ratio.mul(L).clamp(1, L).floor(); // positions to mask per row
    const rank = rand([B, L]).argsort(1).argsort(1); // a random rank per position
    const masked = rank.lt(count); // (B, L)
    return { input: where(masked, maskId, ids), target: where(masked, ids, IGNORE) };
  });
}
