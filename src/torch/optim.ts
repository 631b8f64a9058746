// Optimisers are libtorch's own (AdamW, SGD); schedules are pure functions of the step.
import { type AdamState, type Handle, native, type NativeOptimizer, ops, type SgdState } from "./native.js";
import { Tensor, wrap } from "./tensor.js";

export interface AdamWOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}
export interface SGDOptions {
  lr: number;
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

type Named = [string, Tensor][];

/**
 * Splits parameters as nanoGPT does: weight decay only on matrices and kernels (2+ dims),
 * never on biases, norms' gains, or 1-D tensors.
 */
function groups(params: Named, weightDecay: number) {
  const decay = params.filter(([, p]) => p.ndim >= 2);
  const rest = params.filter(([, p]) => p.ndim < 2);
  return {
    order: [...decay, ...rest],
    native: [
      { params: decay.map(([, p]) => p.handle), weightDecay },
      { params: rest.map(([, p]) => p.handle), weightDecay: 0 },
    ],
  };
}

/** Native optimisers made and not yet disposed (a long process must not pile them up). */
export function liveOptimizers(): number {
  return ops.liveOptimizers() as number;
}

export abstract class Optimizer {
  protected readonly opt: NativeOptimizer;
  /** Parameters in the optimizer's own order, with their names for checkpoints. */
  protected readonly order: Named;
  private currentLr: number;

  protected constructor(kind: "adamw" | "sgd", params: Named, lr: number, weightDecay: number, extra: object) {
    const g = groups(params, weightDecay);
    this.order = g.order;
    this.opt = new native.Optimizer(kind, g.native, { lr, ...extra });
    this.currentLr = lr;
  }
  step(): void {
    this.opt.step();
  }
  zeroGrad(): void {
    this.opt.zeroGrad();
  }
  /** Frees the native optimiser now: its moments, and its references to the parameters; using it after throws. */
  dispose(): void {
    this.opt.dispose();
  }
  get lr(): number {
    return this.currentLr;
  }
  set lr(lr: number) {
    this.opt.setLr(lr);
    this.currentLr = lr;
  }

  /** The state as named tensors (for safetensors checkpoints): "<param>.<field>". */
  stateDict(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    this.opt.getState().forEach((s, i) => {
      if (!s) return;
      const name = this.order[i][0];
      for (const [field, v] of Object.entries(s))
        out.set(`${name}.${field}`, typeof v === "number" ? wrapScalar(v) : wrap(v as Handle));
    });
    return out;
  }

  loadStateDict(state: Map<string, Tensor>): void {
    const entries = this.order.map(([name]) => {
      const fields = [...state.keys()].filter((k) => k.startsWith(`${name}.`) && !k.slice(name.length + 1).includes("."));
      if (fields.length === 0) return null;
      const s: Record<string, Handle | number> = {};
      for (const k of fields) {
        const field = k.slice(name.length + 1);
        const t = state.get(k)!;
        s[field] = field === "step" ? t.item() : t.handle;
      }
      return s as unknown as AdamState | SgdState;
    });
    this.opt.setState(entries);
  }
}

function wrapScalar(v: number): Tensor {
  return wrap(ops.full([], v, "int64"));
}

export class AdamW extends Optimizer {
  constructor(params: Named, o: AdamWOptions) {
    const [beta1, beta2] = o.betas ?? [0.9, 0.999];
    super("adamw", params, o.lr, o.weightDecay ?? 0.01, { beta1, beta2, eps: o.eps ?? 1e-8 });
  }
}

export class SGD extends Optimizer {
  constructor(params: Named, o: SGDOptions) {
    super("sgd", params, o.lr, o.weightDecay ?? 0, { momentum: o.momentum ?? 0, nesterov: o.nesterov ?? false });
  }
}

/** Rescales gradients in place so their global L2 norm is at most maxNorm; returns the norm before. */
export function clipGradNorm(params: Tensor[], maxNorm: number): number {
  return ops.clipGradNorm(
    params.map((p) => p.handle),
    maxNorm,
  ) as number;
}

export interface CosineSchedule {
  lr: number;
  minLr?: number;
  warmupSteps: number;
  totalSteps: number;
}

/** Linear warmup to lr, then cosine decay to minLr at totalSteps (nanoGPT's get_lr). */
export function cosineWithWarmup(step: number, s: CosineSchedule): number {
  const minLr = s.minLr ?? 0;
  if (step < s.warmupSteps) return (s.lr * (step + 1)) / s.warmupSteps;
  if (step >= s.totalSteps) return minLr;
  const progress = (step - s.warmupSteps) / Math.max(1, s.totalSteps - s.warmupSteps);
  return minLr + 0.5 * (1 + Math.cos(Math.PI * progress)) * (s.lr - minLr);
}
