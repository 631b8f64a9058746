// Making tensors: from JS data, constants, ranges, and seeded random draws.
import { native, ops } from "./native.js";
import { type DType, Tensor, tidy, wrap } from "./tensor.js";

type Data = number[] | Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

/**
 * A tensor from JS data. Plain number arrays become float32 unless dtype says otherwise;
 * typed arrays keep their type (Uint8Array becomes uint8, or bool with dtype "bool").
 */
export function tensor(data: Data, shape?: number[], dtype?: DType): Tensor {
  let arr: Exclude<Data, number[]>;
  if (Array.isArray(data)) {
    const d = dtype ?? "float32";
    if (d === "int64") arr = BigInt64Array.from(data, (v) => BigInt(Math.trunc(v)));
    else if (d === "int32") arr = Int32Array.from(data);
    else if (d === "float64") arr = Float64Array.from(data);
    else if (d === "bool" || d === "uint8") arr = Uint8Array.from(data);
    else arr = Float32Array.from(data);
  } else {
    arr = data;
  }
  return wrap(ops.fromArray(arr, shape ?? [arr.length], dtype));
}

/** A tensor from raw little-endian bytes (safetensors). */
export function fromBytes(bytes: Uint8Array, shape: number[], dtype: DType): Tensor {
  return wrap(ops.fromBytes(bytes, shape, dtype));
}

export function zeros(shape: number[], dtype: DType = "float32"): Tensor {
  return wrap(ops.zeros(shape, dtype));
}
export function ones(shape: number[], dtype: DType = "float32"): Tensor {
  return wrap(ops.ones(shape, dtype));
}
export function full(shape: number[], value: number, dtype: DType = "float32"): Tensor {
  return wrap(ops.full(shape, value, dtype));
}
export function arange(start: number, end: number, step = 1, dtype: DType = "int64"): Tensor {
  return wrap(ops.arange(start, end, step, dtype));
}
export function cat(tensors: Tensor[], dim = 0): Tensor {
  return wrap(ops.cat(tensors.map((t) => t.handle), dim));
}
export function stack(tensors: Tensor[], dim = 0): Tensor {
  return wrap(ops.stack(tensors.map((t) => t.handle), dim));
}
/** cond ? a : b, elementwise; a or b may be numbers. */
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  if (typeof a === "number" && typeof b === "number") throw new Error("where: at least one of a, b must be a tensor");
  return wrap(ops.where(cond.handle, typeof a === "number" ? a : a.handle, typeof b === "number" ? b : b.handle));
}

/**
 * A random stream of its own (libtorch's CPU generator). Its state can be saved and
 * restored, so a decoding path can be resumed or branched exactly.
 */
export class Generator {
  readonly native;
  constructor(readonly seed: number) {
    this.native = new native.Generator(seed);
  }
  getState(): Uint8Array {
    return this.native.getState();
  }
  setState(state: Uint8Array): void {
    this.native.setState(state);
  }
  /** A new generator at this one's current position. */
  fork(): Generator {
    const g = new Generator(this.seed);
    g.setState(this.getState());
    return g;
  }
}

/** Seeds libtorch's global generator (used when no Generator is given). */
export function manualSeed(seed: number): void {
  ops.manualSeed(seed);
}
export function randn(shape: number[], gen?: Generator, dtype: DType = "float32"): Tensor {
  return wrap(ops.randn(shape, gen?.native, dtype));
}
/** Uniform on [0, 1). */
export function rand(shape: number[], gen?: Generator, dtype: DType = "float32"): Tensor {
  return wrap(ops.rand(shape, gen?.native, dtype));
}
/** Integers in [low, high). */
export function randint(low: number, high: number, shape: number[], gen?: Generator): Tensor {
  return wrap(ops.randint(low, high, shape, gen?.native));
}
export function randperm(n: number, gen?: Generator): Tensor {
  return wrap(ops.randperm(n, gen?.native));
}
/** Draws n indices per row of probs (rows need not be normalised). */
export function multinomial(probs: Tensor, n: number, replacement = false, gen?: Generator): Tensor {
  return wrap(ops.multinomial(probs.handle, n, replacement, gen?.native));
}
export function bernoulli(probs: Tensor, gen?: Generator): Tensor {
  return wrap(ops.bernoulli(probs.handle, gen?.native));
}
/** Standard Gumbel noise -log(-log U), U kept inside (0, 1) so it stays finite. */
export function gumbel(shape: number[], gen?: Generator): Tensor {
  return tidy(() => rand(shape, gen).clamp(1e-20, 1 - 1e-7).log().neg().log().neg());
}
