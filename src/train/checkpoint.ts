// Checkpoints for resumable training: model and optimizer tensors in one safetensors file,
// with the step and any JSON-able run state in its metadata. Written atomically, so a run
// killed at any moment resumes from the last complete checkpoint.
import { existsSync } from "node:fs";
import { type Module, type Optimizer, type Tensor, dispose, loadSafetensors, saveSafetensors } from "../torch/index.js";

export interface CheckpointState {
  step: number;
  [key: string]: unknown;
}

export function saveCheckpoint(path: string, model: Module, optimizer: Optimizer, state: CheckpointState): void {
  const tensors = new Map<string, Tensor>();
  for (const [k, v] of model.stateDict()) tensors.set(`model.${k}`, v);
  const optState = optimizer.stateDict();
  for (const [k, v] of optState) tensors.set(`optim.${k}`, v);
  try {
    saveSafetensors(path, tensors, { state: JSON.stringify(state) });
  } finally {
    dispose([...optState.values()]);
  }
}

/** Loads a checkpoint into model and optimizer; returns its state, or null if there is none. */
export function loadCheckpoint(path: string, model: Module, optimizer: Optimizer): CheckpointState | null {
  if (!existsSync(path)) return null;
  const { tensors, metadata } = loadSafetensors(path);
  try {
    const part = (prefix: string) =>
      new Map([...tensors].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
    model.loadStateDict(part("model."));
    optimizer.loadStateDict(part("optim."));
    return JSON.parse(metadata.state ?? "null") as CheckpointState;
  } finally {
    dispose([...tensors.values()]);
  }
}

/** Saves only the model's weights (what ships), with its config as metadata. */
export function saveWeights(path: string, model: Module, config: object, extra: Record<string, string> = {}): void {
  saveSafetensors(path, model.stateDict(), { config: JSON.stringify(config), ...extra });
}

/** Loads shipped weights into a model built from the config stored beside them. */
export function readWeightsConfig<C>(path: string): { config: C; tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  const { tensors, metadata } = loadSafetensors(path);
  if (!metadata.config) {
    dispose([...tensors.values()]);
    throw new Error(`${path}: no model config in the file's metadata`);
  }
  return { config: JSON.parse(metadata.config) as C, tensors, metadata };
}

/** Copies shipped weights into an existing model of the same shape (fine-tuning starts here). */
export function copyWeights(model: Module, path: string): void {
  loadWeights(path, () => model);
}

/** Builds a model from shipped weights (its config read from the file) and loads them; returns its metadata too. */
export function loadWeights<C, M extends Module>(path: string, build: (config: C) => M): { model: M; metadata: Record<string, string> } {
  const { config, tensors, metadata } = readWeightsConfig<C>(path);
  try {
    const model = build(config);
    model.loadStateDict(tensors);
    return { model, metadata };
  } finally {
    dispose([...tensors.values()]);
  }
}

/**
 * Copies every tensor of the file whose name and shape the model shares, and returns the names
 * it left out: a model whose head changed still starts from the rest of a trained one.
 */
export function copyMatchingWeights(model: Module, path: string): string[] {
  const { tensors } = loadSafetensors(path);
  try {
    const own = model.stateDict();
    const same = (a: number[], b: number[]) => a.length === b.length && a.every((n, i) => n === b[i]);
    const kept = new Map([...tensors].filter(([k, v]) => own.has(k) && same(own.get(k)!.shape, v.shape)));
    model.loadStateDict(kept, false);
    return [...own.keys()].filter((k) => !kept.has(k));
  } finally {
    dispose([...tensors.values()]);
  }
}
