// Gradient checking in float64: autograd's gradients against central finite differences,
// as torch.autograd.gradcheck does. Used by the op tests; useful for any new op or layer.
import { tensor } from "./creation.js";
import { Tensor, tidy } from "./tensor.js";

export interface GradcheckResult {
  ok: boolean;
  maxAbsError: number;
  worst: string;
}

/**
 * f maps float64 inputs to a tensor; the checked scalar is sum(f(inputs) * w) for a fixed
 * random w, so every output element contributes. Inputs must be float64.
 */
export function gradcheck(f: (inputs: Tensor[]) => Tensor, inputs: Tensor[], eps = 1e-6, tol = 1e-5): GradcheckResult {
  return tidy(() => {
    for (const x of inputs) if (x.dtype !== "float64") throw new Error(`gradcheck needs float64 inputs, got ${x.dtype}`);
    const leaves = inputs.map((x) => x.detach().clone().setRequiresGrad(true));
    const out0 = f(leaves);
    const w = tensor(
      Array.from({ length: out0.numel }, (_, i) => Math.sin(i * 12.9898 + 1) * 0.5 + 0.7),
      out0.shape,
      "float64",
    );
    const scalar = (xs: Tensor[]) => tidy(() => f(xs).mul(w).sum().item());
    out0.mul(w).sum().backward();
    let maxAbsError = 0;
    let worst = "";
    leaves.forEach((leaf, k) => {
      const analytic = leaf.grad ? Array.from(leaf.grad.data() as Float64Array) : new Array(leaf.numel).fill(0);
      const base = Array.from(leaf.data() as Float64Array);
      for (let i = 0; i < base.length; i++) {
        const at = (delta: number) => {
          const moved = base.slice();
          moved[i] += delta;
          const xs = inputs.map((x, j) => (j === k ? tensor(moved, leaf.shape, "float64") : x));
          return scalar(xs);
        };
        const numeric = (at(eps) - at(-eps)) / (2 * eps);
        const err = Math.abs(numeric - analytic[i]) / Math.max(1, Math.abs(numeric));
        if (err > maxAbsError) {
          maxAbsError = err;
          worst = `input ${k}, element ${i}: autograd ${analytic[i]}, finite differences ${numeric}`;
        }
      }
    });
    return { ok: maxAbsError <= tol, maxAbsError, worst };
  });
}
