// Tensor: a JS owner of one native tensor, with a fluent op surface and explicit freeing.
// Every tensor made inside `tidy` is freed when it returns unless it is part of the result
// or marked with `keep`; JS finalizers are only a last resort.
import { type Handle, ops } from "./native.js";

export type DType = "float32" | "float64" | "int64" | "int32" | "bool" | "uint8" | "float16" | "bfloat16";
export type Scalar = number;
export type TensorLike = Tensor | Scalar;

/** Open scopes, innermost last; each holds the tensors created while it is innermost. */
const scopes: Set<Tensor>[] = [];

export class Tensor {
  constructor(readonly handle: Handle) {
    const scope = scopes[scopes.length - 1];
    if (scope) scope.add(this);
  }

  // --- inspection ---------------------------------------------------------------------
  get shape(): number[] {
    return ops.shape(this.handle) as number[];
  }
  get dtype(): DType {
    return ops.dtype(this.handle) as DType;
  }
  get device(): string {
    return ops.device(this.handle) as string;
  }
  get ndim(): number {
    return this.shape.length;
  }
  get numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
  get isDisposed(): boolean {
    return ops.isDisposed(this.handle) as boolean;
  }
  size(dim: number): number {
    const s = this.shape;
    return s[dim < 0 ? s.length + dim : dim];
  }
  item(): number {
    return ops.item(this.handle) as number;
  }
  /** A copy of the data: Float32Array, Float64Array, BigInt64Array, Int32Array or Uint8Array (bool). */
  data(): Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array {
    return ops.toArray(this.handle) as Float32Array;
  }
  /** The data as plain numbers (int64 converted, exact below 2^53). */
  toArray(): number[] {
    const d = this.data();
    return d instanceof BigInt64Array ? Array.from(d, Number) : Array.from(d);
  }
  toString(): string {
    return `Tensor(${this.shape.join("x")}, ${this.dtype}, ${this.device})`;
  }

  // --- ownership ----------------------------------------------------------------------
  /** Frees the native memory now; using the tensor afterwards throws. Idempotent. */
  dispose(): void {
    ops.dispose(this.handle);
  }
  /** Exempts this tensor from the enclosing scopes (it must then be disposed by hand). */
  keep(): this {
    for (const s of scopes) s.delete(this);
    return this;
  }

  // --- autograd -----------------------------------------------------------------------
  get requiresGrad(): boolean {
    return ops.requiresGrad(this.handle) as boolean;
  }
  setRequiresGrad(on = true): this {
    ops.setRequiresGrad(this.handle, on);
    return this;
  }
  /** The accumulated gradient (a new handle sharing its storage), or null. */
  get grad(): Tensor | null {
    const g = ops.grad(this.handle) as Handle | null;
    return g ? new Tensor(g) : null;
  }
  backward(gradient?: Tensor, retainGraph = false): void {
    ops.backward(this.handle, gradient?.handle, retainGraph);
  }
  detach(): Tensor {
    return wrap(ops.detach(this.handle));
  }
  clone(): Tensor {
    return wrap(ops.clone(this.handle));
  }
  /** Copies src into this tensor in place, outside autograd (loading weights, resets). */
  copy_(src: Tensor): this {
    ops.copy_(this.handle, src.handle);
    return this;
  }

  // --- dtype and device ---------------------------------------------------------------
  to(dtype: DType): Tensor {
    return wrap(ops.toDtype(this.handle, dtype));
  }
  toDevice(device: string): Tensor {
    return wrap(ops.toDevice(this.handle, device));
  }
  /** Takes src's data (same shape, any device) under this handle: what Module.to uses. */
  setData(src: Tensor): this {
    ops.setData(this.handle, src.handle);
    return this;
  }

  // --- elementwise --------------------------------------------------------------------
  add(b: TensorLike): Tensor {
    return binary("add", this, b);
  }
  sub(b: TensorLike): Tensor {
    return binary("sub", this, b);
  }
  mul(b: TensorLike): Tensor {
    return binary("mul", this, b);
  }
  div(b: TensorLike): Tensor {
    return binary("div", this, b);
  }
  pow(b: TensorLike): Tensor {
    return binary("pow", this, b);
  }
  remainder(b: TensorLike): Tensor {
    return binary("remainder", this, b);
  }
  eq(b: TensorLike): Tensor {
    return binary("eq", this, b);
  }
  ne(b: TensorLike): Tensor {
    return binary("ne", this, b);
  }
  lt(b: TensorLike): Tensor {
    return binary("lt", this, b);
  }
  le(b: TensorLike): Tensor {
    return binary("le", this, b);
  }
  gt(b: TensorLike): Tensor {
    return binary("gt", this, b);
  }
  ge(b: TensorLike): Tensor {
    return binary("ge", this, b);
  }
  maximum(b: Tensor): Tensor {
    return wrap(ops.maximum(this.handle, b.handle));
  }
  minimum(b: Tensor): Tensor {
    return wrap(ops.minimum(this.handle, b.handle));
  }
  logicalAnd(b: Tensor): Tensor {
    return wrap(ops.logicalAnd(this.handle, b.handle));
  }
  logicalOr(b: Tensor): Tensor {
    return wrap(ops.logicalOr(this.handle, b.handle));
  }
  logicalNot(): Tensor {
    return unary("logicalNot", this);
  }
  neg(): Tensor {
    return unary("neg", this);
  }
  abs(): Tensor {
    return unary("abs", this);
  }
  exp(): Tensor {
    return unary("exp", this);
  }
  log(): Tensor {
    return unary("log", this);
  }
  sqrt(): Tensor {
    return unary("sqrt", this);
  }
  rsqrt(): Tensor {
    return unary("rsqrt", this);
  }
  sin(): Tensor {
    return unary("sin", this);
  }
  cos(): Tensor {
    return unary("cos", this);
  }
  floor(): Tensor {
    return unary("floor", this);
  }
  round(): Tensor {
    return unary("round", this);
  }
  sign(): Tensor {
    return unary("sign", this);
  }
  tanh(): Tensor {
    return unary("tanh", this);
  }
  sigmoid(): Tensor {
    return unary("sigmoid", this);
  }
  logSigmoid(): Tensor {
    return unary("logsigmoid", this);
  }
  relu(): Tensor {
    return unary("relu", this);
  }
  silu(): Tensor {
    return unary("silu", this);
  }
  /** approximate: "none" (exact erf) or "tanh" */
  gelu(approximate: "none" | "tanh" = "none"): Tensor {
    return wrap(ops.gelu(this.handle, approximate));
  }
  clamp(min?: number, max?: number): Tensor {
    return wrap(ops.clamp(this.handle, min, max));
  }
  maskedFill(mask: Tensor, value: number): Tensor {
    return wrap(ops.maskedFill(this.handle, mask.handle, value));
  }
  softmax(dim: number): Tensor {
    return wrap(ops.softmax(this.handle, dim));
  }
  logSoftmax(dim: number): Tensor {
    return wrap(ops.logSoftmax(this.handle, dim));
  }

  // --- reductions (no dims = over everything) -----------------------------------------
  sum(dims?: number | number[], keepdim = false): Tensor {
    return wrap(dims === undefined ? ops.sum(this.handle) : ops.sum(this.handle, dims, keepdim));
  }
  mean(dims?: number | number[], keepdim = false): Tensor {
    return wrap(dims === undefined ? ops.mean(this.handle) : ops.mean(this.handle, dims, keepdim));
  }
  /** Max over one dim: values and their indices. */
  max(dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
    return pair(ops.maxDim(this.handle, dim, keepdim), "values", "indices");
  }
  min(dim: number, keepdim = false): { values: Tensor; indices: Tensor } {
    return pair(ops.minDim(this.handle, dim, keepdim), "values", "indices");
  }
  amax(dims: number | number[], keepdim = false): Tensor {
    return wrap(ops.amax(this.handle, dims, keepdim));
  }
  amin(dims: number | number[], keepdim = false): Tensor {
    return wrap(ops.amin(this.handle, dims, keepdim));
  }
  argmax(dim?: number, keepdim = false): Tensor {
    return wrap(dim === undefined ? ops.argmax(this.handle) : ops.argmax(this.handle, dim, keepdim));
  }
  argmin(dim?: number, keepdim = false): Tensor {
    return wrap(dim === undefined ? ops.argmin(this.handle) : ops.argmin(this.handle, dim, keepdim));
  }
  topk(k: number, dim = -1, largest = true): { values: Tensor; indices: Tensor } {
    return pair(ops.topk(this.handle, k, dim, largest), "values", "indices");
  }
  sort(dim = -1, descending = false): { values: Tensor; indices: Tensor } {
    return pair(ops.sort(this.handle, dim, descending), "values", "indices");
  }
  argsort(dim = -1, descending = false): Tensor {
    return wrap(ops.argsort(this.handle, dim, descending));
  }
  logsumexp(dims: number | number[], keepdim = false): Tensor {
    return wrap(ops.logsumexp(this.handle, dims, keepdim));
  }
  cumsum(dim: number): Tensor {
    return wrap(ops.cumsum(this.handle, dim));
  }
  var(dims: number | number[], unbiased = true, keepdim = false): Tensor {
    return wrap(ops.var(this.handle, dims, unbiased, keepdim));
  }
  all(): Tensor {
    return unary("all", this);
  }
  any(): Tensor {
    return unary("any", this);
  }

  // --- linear algebra -----------------------------------------------------------------
  matmul(b: Tensor): Tensor {
    return wrap(ops.matmul(this.handle, b.handle));
  }
  bmm(b: Tensor): Tensor {
    return wrap(ops.bmm(this.handle, b.handle));
  }

  // --- shapes and indexing ------------------------------------------------------------
  reshape(shape: number[]): Tensor {
    return wrap(ops.reshape(this.handle, shape));
  }
  permute(dims: number[]): Tensor {
    return wrap(ops.permute(this.handle, dims));
  }
  transpose(d0: number, d1: number): Tensor {
    return wrap(ops.transpose(this.handle, d0, d1));
  }
  contiguous(): Tensor {
    return unary("contiguous", this);
  }
  squeeze(dim: number): Tensor {
    return wrap(ops.squeeze(this.handle, dim));
  }
  unsqueeze(dim: number): Tensor {
    return wrap(ops.unsqueeze(this.handle, dim));
  }
  expand(shape: number[]): Tensor {
    return wrap(ops.expand(this.handle, shape));
  }
  repeat(reps: number[]): Tensor {
    return wrap(ops.repeat(this.handle, reps));
  }
  flatten(start = 0, end = -1): Tensor {
    return wrap(ops.flatten(this.handle, start, end));
  }
  flip(dims: number[]): Tensor {
    return wrap(ops.flip(this.handle, dims));
  }
  /** Elements start..end (exclusive, negative counts from the end) along dim. */
  slice(dim: number, start: number, end = Number.MAX_SAFE_INTEGER, step = 1): Tensor {
    return wrap(ops.slice(this.handle, dim, start, end, step));
  }
  /** Removes dim by taking index i. */
  select(dim: number, i: number): Tensor {
    return wrap(ops.select(this.handle, dim, i));
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return wrap(ops.indexSelect(this.handle, dim, index.handle));
  }
  gather(dim: number, index: Tensor): Tensor {
    return wrap(ops.gather(this.handle, dim, index.handle));
  }
  scatter(dim: number, index: Tensor, src: Tensor): Tensor {
    return wrap(ops.scatter(this.handle, dim, index.handle, src.handle));
  }
  maskedSelect(mask: Tensor): Tensor {
    return wrap(ops.maskedSelect(this.handle, mask.handle));
  }
  nonzero(): Tensor {
    return unary("nonzero", this);
  }
  tril(diagonal = 0): Tensor {
    return wrap(ops.tril(this.handle, diagonal));
  }
  triu(diagonal = 0): Tensor {
    return wrap(ops.triu(this.handle, diagonal));
  }
}

/** Wraps a fresh native handle (registering it with the innermost scope). */
export function wrap(h: unknown): Tensor {
  return new Tensor(h as Handle);
}

function unary(name: string, a: Tensor): Tensor {
  return wrap(ops[name](a.handle));
}

function binary(name: string, a: Tensor, b: TensorLike): Tensor {
  return wrap(ops[name](a.handle, typeof b === "number" ? b : b.handle));
}

function pair<A extends string, B extends string>(hs: unknown, a: A, b: B): Record<A | B, Tensor> {
  const [x, y] = hs as [Handle, Handle];
  return { [a]: wrap(x), [b]: wrap(y) } as Record<A | B, Tensor>;
}

/** Tensors found in a value (a tensor, or arrays and plain objects holding tensors). */
function collect(value: unknown, out: Set<Tensor>, depth = 0): Set<Tensor> {
  if (value instanceof Tensor) out.add(value);
  else if (depth < 8 && Array.isArray(value)) for (const v of value) collect(v, out, depth + 1);
  else if (depth < 8 && value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype)
    for (const v of Object.values(value)) collect(v, out, depth + 1);
  return out;
}

/**
 * Runs fn and frees every tensor it created, except those in its result (a tensor, or
 * arrays/plain objects of them), which move to the enclosing scope. Synchronous only.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of scope) t.dispose();
    throw e;
  }
  scopes.pop();
  const keep = collect(result, new Set());
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (keep.has(t)) parent?.add(t);
    else t.dispose();
  }
  return result;
}

/** Disposes every tensor found in the arguments (tensors, arrays, plain objects). */
export function dispose(...values: unknown[]): void {
  for (const t of collect(values, new Set())) t.dispose();
}

/** Number of native tensors currently owned by JS handles (for leak tests). */
export function liveTensors(): number {
  return ops.liveTensors() as number;
}
