// Modules in the spirit of nanoGPT: parameters named by path ("blocks.3.attn.qkv.weight")
// so that saving, loading and freezing work by name. No framework magic beyond that.
import { randn, rand, zeros, ones } from "./creation.js";
import * as F from "./functional.js";
import { noGrad } from "./runtime.js";
import { Tensor, tidy } from "./tensor.js";

export abstract class Module {
  training = true;
  private readonly params = new Map<string, Tensor>();
  private readonly buffers = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  /** Registers a trainable parameter (kept outside every scope, requires grad). */
  protected param(name: string, value: Tensor): Tensor {
    value.keep().setRequiresGrad(true);
    this.params.set(name, value);
    return value;
  }
  /** Registers a saved, non-trainable tensor (running statistics, codebooks updated by hand). */
  protected buffer(name: string, value: Tensor): Tensor {
    this.buffers.set(name, value.keep());
    return value;
  }
  protected module<M extends Module>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }

  namedParameters(prefix = ""): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, p] of this.params) out.push([prefix + n, p]);
    for (const [n, c] of this.children) out.push(...c.namedParameters(`${prefix}${n}.`));
    return out;
  }
  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }
  namedBuffers(prefix = ""): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, b] of this.buffers) out.push([prefix + n, b]);
    for (const [n, c] of this.children) out.push(...c.namedBuffers(`${prefix}${n}.`));
    return out;
  }
  /** Parameters and buffers by name: what a checkpoint holds. */
  stateDict(): Map<string, Tensor> {
    return new Map([...this.namedParameters(), ...this.namedBuffers()]);
  }
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.numel, 0);
  }

  /**
   * Copies tensors into this module's parameters and buffers by name. Every mismatch is
   * reported at once: missing and unexpected names, shapes, dtypes.
   */
  loadStateDict(state: Map<string, Tensor>, strict = true): void {
    const own = this.stateDict();
    const problems: string[] = [];
    for (const [name, t] of own) {
      const src = state.get(name);
      if (!src) {
        if (strict) problems.push(`missing '${name}' (expected ${t.shape.join("x")} ${t.dtype})`);
        continue;
      }
      if (src.shape.join("x") !== t.shape.join("x"))
        problems.push(`'${name}': shape ${src.shape.join("x")} in file, ${t.shape.join("x")} in model`);
      else if (src.dtype !== t.dtype) problems.push(`'${name}': dtype ${src.dtype} in file, ${t.dtype} in model`);
    }
    if (strict) for (const name of state.keys()) if (!own.has(name)) problems.push(`unexpected '${name}'`);
    if (problems.length > 0) throw new Error(`state does not match the model:\n  ${problems.join("\n  ")}`);
    for (const [name, t] of own) {
      const src = state.get(name);
      if (src) t.copy_(src);
    }
  }

  train(on = true): this {
    this.training = on;
    for (const c of this.children.values()) c.train(on);
    return this;
  }
  eval(): this {
    return this.train(false);
  }
  /**
   * Moves every parameter and buffer to a device ("cuda", "cpu"), keeping their handles. Before
   * an optimiser is made: gradients and an optimiser's state stay where they were.
   */
  to(device: string): this {
    for (const t of this.stateDict().values()) tidy(() => void t.setData(t.toDevice(device)));
    return this;
  }
  /** Turns gradients on or off for every parameter (freezing a reference model, say). */
  requiresGrad(on: boolean): this {
    for (const p of this.parameters()) p.setRequiresGrad(on);
    return this;
  }
  dispose(): void {
    for (const t of this.stateDict().values()) t.dispose();
  }
}

/** Children registered as "0", "1", ... so their parameters read "blocks.0.attn...". */
export class ModuleList<M extends Module> extends Module {
  readonly items: M[];
  constructor(items: M[]) {
    super();
    this.items = items.map((m, i) => this.module(String(i), m));
  }
}

/** Uniform(-bound, bound): PyTorch's default init for linear and conv weights (kaiming, a=sqrt 5). */
function uniform(shape: number[], bound: number): Tensor {
  return noGrad(() => tidy(() => rand(shape).mul(2 * bound).sub(bound)));
}

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(inFeatures: number, outFeatures: number, bias = true) {
    super();
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = this.param("weight", uniform([outFeatures, inFeatures], bound));
    this.bias = bias ? this.param("bias", uniform([outFeatures], bound)) : null;
  }
  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }
}

export class Embedding extends Module {
  readonly weight: Tensor;
  constructor(count: number, dim: number, std = 1) {
    super();
    this.weight = this.param("weight", noGrad(() => tidy(() => randn([count, dim]).mul(std))));
  }
  forward(indices: Tensor): Tensor {
    return F.embedding(this.weight, indices);
  }
}

export class LayerNorm extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  constructor(readonly dim: number, readonly eps = 1e-5) {
    super();
    this.weight = this.param("weight", ones([dim]));
    this.bias = this.param("bias", zeros([dim]));
  }
  forward(x: Tensor): Tensor {
    return F.layerNorm(x, [this.dim], this.weight, this.bias, this.eps);
  }
}

export class GroupNorm extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  constructor(readonly groups: number, channels: number, readonly eps = 1e-5) {
    super();
    this.weight = this.param("weight", ones([channels]));
    this.bias = this.param("bias", zeros([channels]));
  }
  forward(x: Tensor): Tensor {
    // in float32 under autocast too (libtorch 1.13 refuses bfloat16 input with float32 weights)
    return F.groupNorm(x.dtype === this.weight.dtype ? x : x.to(this.weight.dtype), this.groups, this.weight, this.bias, this.eps);
  }
}

export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(inC: number, outC: number, kernel: number, readonly options: F.ConvOptions = {}, bias = true) {
    super();
    const bound = 1 / Math.sqrt((inC / (options.groups ?? 1)) * kernel * kernel);
    this.weight = this.param("weight", uniform([outC, inC / (options.groups ?? 1), kernel, kernel], bound));
    this.bias = bias ? this.param("bias", uniform([outC], bound)) : null;
  }
  forward(x: Tensor): Tensor {
    return F.conv2d(x, this.weight, this.bias, this.options);
  }
}

export class ConvTranspose2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(
    inC: number,
    outC: number,
    kernel: number,
    readonly options: F.ConvOptions & { outputPadding?: number } = {},
    bias = true,
  ) {
    super();
    const bound = 1 / Math.sqrt((outC / (options.groups ?? 1)) * kernel * kernel);
    this.weight = this.param("weight", uniform([inC, outC / (options.groups ?? 1), kernel, kernel], bound));
    this.bias = bias ? this.param("bias", uniform([outC], bound)) : null;
  }
  forward(x: Tensor): Tensor {
    return F.convTranspose2d(x, this.weight, this.bias, this.options);
  }
}

export interface TransformerBlockOptions {
  dModel: number; // width
  heads: number; // attention heads (dModel % heads == 0)
  mlpRatio: number; // MLP hidden width over dModel
  dropout?: number; // on the attention output and the MLP output, while training
  gelu?: "none" | "tanh"; // exact or tanh-approximated GELU in the MLP
}

/** A pre-LN transformer block with bidirectional attention: x + attn(ln(x)), then x + mlp(ln(x)). */
export class TransformerBlock extends Module {
  readonly ln1;
  readonly qkv;
  readonly proj;
  readonly ln2;
  readonly fc;
  readonly out;
  constructor(readonly o: TransformerBlockOptions) {
    super();
    if (o.dModel % o.heads !== 0) throw new Error(`dModel ${o.dModel} is not a multiple of heads ${o.heads}`);
    this.ln1 = this.module("ln1", new LayerNorm(o.dModel));
    this.qkv = this.module("qkv", new Linear(o.dModel, 3 * o.dModel));
    this.proj = this.module("proj", new Linear(o.dModel, o.dModel));
    this.ln2 = this.module("ln2", new LayerNorm(o.dModel));
    this.fc = this.module("fc", new Linear(o.dModel, o.mlpRatio * o.dModel));
    this.out = this.module("out", new Linear(o.mlpRatio * o.dModel, o.dModel));
  }
  /** x (B, T, D) -> (B, T, D) */
  forward(x: Tensor): Tensor {
    const [B, T, D] = x.shape;
    const H = this.o.heads;
    const p = this.training ? (this.o.dropout ?? 0) : 0;
    const qkv = this.qkv.forward(this.ln1.forward(x)).reshape([B, T, 3, H, D / H]).permute([2, 0, 3, 1, 4]); // (3, B, H, T, Dh)
    const y = F.attention(qkv.select(0, 0), qkv.select(0, 1), qkv.select(0, 2)).transpose(1, 2).reshape([B, T, D]);
    x = x.add(F.dropout(this.proj.forward(y), p, this.training));
    const fc = this.fc.forward(this.ln2.forward(x));
    // in bfloat16 (autocast) the tanh approximation is computed exactly: the two differ by at
    // most 4.7e-4, about bfloat16's rounding, and libtorch 1.13's bfloat16 tanh kernel is about
    // 7 times slower (results/precision.json, gelu_bfloat16_ms)
    const h = fc.gelu(fc.dtype === "bfloat16" ? "none" : (this.o.gelu ?? "none"));
    return x.add(F.dropout(this.out.forward(h), p, this.training));
  }
}
