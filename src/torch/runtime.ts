// Process-wide engine settings: grad mode, threads, versions.
import { cpus } from "node:os";
import { type Precision, precision } from "../util/precision.js";
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

/**
 * Runs fn with bfloat16 autocast on or off, restoring the previous mode however fn exits:
 * matmuls, linear layers and convolutions run in bfloat16 (AMX through oneDNN where the CPU has
 * it), other ops in their inputs' dtype. Synchronous only; backward runs outside it.
 */
export function autocast<T>(on: boolean, fn: () => T): T {
  const prev = ops.isAutocast() as boolean;
  ops.setAutocast(on);
  try {
    return fn();
  } finally {
    ops.setAutocast(prev);
    if (!prev && on) ops.clearAutocastCache(); // cast weights go stale once an optimiser steps
  }
}

/** glibc's heap, MiB: held in use and kept free in its arenas, and large blocks mapped on their own. */
export function heapStats(): { in_use_mib: number; free_mib: number; mmap_mib: number } {
  const h = ops.heapStats() as { inUse: number; free: number; mmapped: number };
  const mib = (b: number) => Math.round(b / 2 ** 20);
  return { in_use_mib: mib(h.inUse), free_mib: mib(h.free), mmap_mib: mib(h.mmapped) };
}

/** Hands the heap's free pages back to the kernel (malloc_trim); true if any were. */
export function trimHeap(): boolean {
  return ops.trimHeap() as boolean;
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

/** Runs fn with matmuls in the process's precision (util/precision.ts): bfloat16 autocast or none. */
export function mixedPrecision<T>(fn: () => T): T {
  return autocast(precision() === "bfloat16", fn);
}

/**
 * The fast default on a small CPU machine (measured, results/precision.json). In float32,
 * OpenBLAS keeps its own threads (one per core) and libtorch's intra-op pool stays at 1, since
 * both at once oversubscribe the cores. In bfloat16 the matmuls run in oneDNN on libtorch's own
 * pool, so that pool gets every core. IMAGECOT_TORCH_THREADS overrides.
 */
export function defaultThreads(p: Precision = precision()): number {
  return p === "bfloat16" ? cpus().length : 1;
}
export function applyDefaultThreads(): void {
  const env = process.env.IMAGECOT_TORCH_THREADS;
  setNumThreads(env ? Number(env) : defaultThreads());
}
