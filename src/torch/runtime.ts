// Process-wide engine settings: grad mode, threads, versions.
import { native, ops } from "./native.js";

export function isGradEnabled(): boolean {
  return ops.isGradEnabled() as boolean;
}

/** Runs fn with autograd off, restoring the previous mode however fn exits. Synchronous only. */
export function noGrad<T>(fn: () => T): T {
  const prev = isGradEnabled();
  ops.setGradEnabled(false);
  try {
    return fn();
  } finally {
    ops.setGradEnabled(prev);
  }
}

/** libtorch's intra-op threads (its own parallel loops; BLAS threads are separate). */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setNumThreads: expected a positive integer, got ${n}`);
  ops.setNumThreads(n);
}
export function getNumThreads(): number {
  return ops.getNumThreads() as number;
}
/** OpenBLAS's threads for matmul; returns false when the BLAS is not OpenBLAS. */
export function setBlasThreads(n: number): boolean {
  if (!Number.isInteger(n) || n < 1) throw new Error(`setBlasThreads: expected a positive integer, got ${n}`);
  return ops.setBlasThreads(n) as boolean;
}
export function getBlasThreads(): number | null {
  return ops.getBlasThreads() as number | null;
}
export function torchVersion(): string {
  return native.version;
}
export function cudaAvailable(): boolean {
  return ops.cudaAvailable() as boolean;
}

/**
 * The fast default on a small CPU machine (measured, see README): OpenBLAS keeps its own
 * threads (one per core) and libtorch's intra-op pool stays at 1, since both at once
 * oversubscribe the cores. IMAGECOT_TORCH_THREADS overrides the latter.
 */
export function applyDefaultThreads(): void {
  const env = process.env.IMAGECOT_TORCH_THREADS;
  setNumThreads(env ? Number(env) : 1);
}
