// The float type the models' matmuls run in. bfloat16 where the CPU multiplies it natively
// (AVX-512 BF16 or AMX): there oneDNN runs libtorch's bfloat16 matmuls at two to three times
// float32's speed (results/precision.json). Elsewhere libtorch's bfloat16 matmul is a slow
// fallback, so float32. IMAGECOT_PRECISION=float32|bfloat16|auto overrides.
import { readFileSync } from "node:fs";

export type Precision = "float32" | "bfloat16";

let cpuHasBf16: boolean | undefined;

/** Whether the CPU has native bfloat16 dot products (Linux cpuinfo flags; false elsewhere). */
export function nativeBf16(): boolean {
  if (cpuHasBf16 === undefined) {
    let info = "";
    try {
      info = readFileSync("/proc/cpuinfo", "utf8");
    } catch {
      // not Linux: no flags to read
    }
    cpuHasBf16 = /^flags\s*:.*\b(avx512_bf16|amx_bf16)\b/m.test(info);
  }
  return cpuHasBf16;
}

let override: Precision | undefined;

/** Runs fn with the process's precision set to p (a benchmark comparing both, a test). */
export function withPrecision<T>(p: Precision, fn: () => T): T {
  const prev = override;
  override = p;
  try {
    return fn();
  } finally {
    override = prev;
  }
}

export function precision(): Precision {
  if (override) return override;
  const env = process.env.IMAGECOT_PRECISION ?? "auto";
  if (env === "float32" || env === "bfloat16") return env;
  if (env !== "auto") throw new Error(`IMAGECOT_PRECISION must be float32, bfloat16 or auto, not '${env}'`);
  return nativeBf16() ? "bfloat16" : "float32";
}
