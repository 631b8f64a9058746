// Neural-network functions over tensors (stateless; layers in nn.ts hold the parameters).
import { ops } from "./native.js";
import { Tensor, tidy, wrap } from "./tensor.js";

const h = (t: Tensor | null | undefined) => t?.handle;
const pair2 = (v: number | [number, number]): [number, number] => (typeof v === "number" ? [v, v] : v);

/** x @ w^T + b; x (..., in), w (out, in), b (out) */
export function linear(x: Tensor, w: Tensor, b?: Tensor | null): Tensor {
  return wrap(ops.linear(x.handle, w.handle, h(b)));
}
export function layerNorm(x: Tensor, shape: number[], w?: Tensor | null, b?: Tensor | null, eps = 1e-5): Tensor {
  return wrap(ops.layerNorm(x.handle, shape, h(w), h(b), eps));
}
export function groupNorm(x: Tensor, groups: number, w?: Tensor | null, b?: Tensor | null, eps = 1e-5): Tensor {
  return wrap(ops.groupNorm(x.handle, groups, h(w), h(b), eps));
}
/** Rows of weight (V, D) picked by integer indices. */
export function embedding(weight: Tensor, indices: Tensor): Tensor {
  return wrap(ops.embedding(weight.handle, indices.handle));
}

export interface ConvOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
  dilation?: number | [number, number];
  groups?: number;
}
/** x (B, Cin, H, W), w (Cout, Cin/groups, kH, kW) */
export function conv2d(x: Tensor, w: Tensor, b?: Tensor | null, o: ConvOptions = {}): Tensor {
  return wrap(ops.conv2d(x.handle, w.handle, h(b), pair2(o.stride ?? 1), pair2(o.padding ?? 0), pair2(o.dilation ?? 1), o.groups ?? 1));
}
/** x (B, Cin, H, W), w (Cin, Cout/groups, kH, kW) */
export function convTranspose2d(
  x: Tensor,
  w: Tensor,
  b?: Tensor | null,
  o: ConvOptions & { outputPadding?: number | [number, number] } = {},
): Tensor {
  return wrap(
    ops.convTranspose2d(x.handle, w.handle, h(b), pair2(o.stride ?? 1), pair2(o.padding ?? 0), pair2(o.outputPadding ?? 0), o.groups ?? 1, pair2(o.dilation ?? 1)),
  );
}
export function maxPool2d(x: Tensor, kernel: number, stride = kernel, padding = 0): Tensor {
  return wrap(ops.maxPool2d(x.handle, pair2(kernel), pair2(stride), pair2(padding)));
}
export function avgPool2d(x: Tensor, kernel: number, stride = kernel, padding = 0): Tensor {
  return wrap(ops.avgPool2d(x.handle, pair2(kernel), pair2(stride), pair2(padding)));
}
export function adaptiveAvgPool2d(x: Tensor, size: number | [number, number]): Tensor {
  return wrap(ops.adaptiveAvgPool2d(x.handle, pair2(size)));
}
/** Resizes (B, C, H, W) to size; bilinear or nearest. */
export function interpolate(x: Tensor, size: [number, number], mode: "nearest" | "bilinear" = "nearest", alignCorners = false): Tensor {
  if (mode === "nearest") return wrap(ops.upsampleNearest2d(x.handle, size));
  return wrap(ops.upsampleBilinear2d(x.handle, size, alignCorners));
}
export function dropout(x: Tensor, p: number, training: boolean): Tensor {
  return wrap(ops.dropout(x.handle, p, training));
}
export function oneHot(indices: Tensor, classes: number): Tensor {
  return wrap(ops.oneHot(indices.handle, classes));
}

export type Reduction = "none" | "mean" | "sum";
const REDUCTION: Record<Reduction, number> = { none: 0, mean: 1, sum: 2 };

export interface CrossEntropyOptions {
  ignoreIndex?: number;
  labelSmoothing?: number;
  reduction?: Reduction;
}
/** logits (N, C) or (N, C, ...) against integer targets (N) or (N, ...). */
export function crossEntropy(logits: Tensor, target: Tensor, o: CrossEntropyOptions = {}): Tensor {
  return wrap(ops.crossEntropy(logits.handle, target.handle, o.ignoreIndex ?? -100, o.labelSmoothing ?? 0, REDUCTION[o.reduction ?? "mean"]));
}
export function mseLoss(x: Tensor, y: Tensor, reduction: Reduction = "mean"): Tensor {
  return wrap(ops.mseLoss(x.handle, y.handle, REDUCTION[reduction]));
}
export function bceWithLogits(logits: Tensor, target: Tensor, reduction: Reduction = "mean"): Tensor {
  return wrap(ops.bceWithLogits(logits.handle, target.handle, REDUCTION[reduction]));
}

/**
 * Scaled dot-product attention: softmax(q k^T / sqrt(d) + mask) v.
 * q, k, v (B, H, T, D); mask, if given, is boolean and true where attention is NOT allowed,
 * broadcastable to (B, H, Tq, Tk).
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, mask?: Tensor): Tensor {
  return tidy(() => {
    const d = q.size(-1);
    let att = q.matmul(k.transpose(-2, -1)).mul(1 / Math.sqrt(d)); // (B, H, Tq, Tk)
    if (mask) att = att.maskedFill(mask, -Infinity);
    return att.softmax(-1).matmul(v); // (B, H, Tq, D)
  });
}
