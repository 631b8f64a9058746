// The one place that loads the compiled binding (build/Release/imagecot_torch.node).
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fromRoot } from "../util/root.js";

/** An opaque native tensor handle; only src/torch touches it. */
export type Handle = { readonly __brand: "TensorHandle" };

export interface NativeGenerator {
  getState(): Uint8Array;
  setState(state: Uint8Array): void;
}

export interface AdamState {
  step: number;
  expAvg: Handle;
  expAvgSq: Handle;
}
export interface SgdState {
  momentum?: Handle;
}

export interface NativeOptimizer {
  step(): void;
  zeroGrad(): void;
  setLr(lr: number): void;
  getState(): (AdamState | SgdState | null)[];
  setState(state: (AdamState | SgdState | null)[]): void;
  dispose(): void;
}

export interface Native {
  version: string;
  Generator: new (seed: number) => NativeGenerator;
  Optimizer: new (
    kind: "adamw" | "sgd",
    groups: { params: Handle[]; weightDecay: number }[],
    opts: { lr: number; beta1?: number; beta2?: number; eps?: number; momentum?: number; nesterov?: boolean },
  ) => NativeOptimizer;
}

/** Every other export of the binding: ops called by name with handles, numbers and arrays. */
export type Ops = Record<string, (...args: unknown[]) => unknown>;

function load(): Native & Ops {
  const path = fromRoot("build", "Release", "imagecot_torch.node");
  if (!existsSync(path)) {
    throw new Error(`native binding not built (${path} is missing): run 'npm run build:native' (needs libtorch-dev)`);
  }
  return createRequire(import.meta.url)(path) as Native & Ops;
}

export const native = load();
export const ops: Ops = native;
