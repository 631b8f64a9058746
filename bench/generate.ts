// `imagecot bench generate`: sampling speed of the shipped generator at N=20 paths x 18 steps
// with CFG, its achieved GFLOP/s against the binding's matmul GFLOP/s, and peak RSS. Images
// decode concurrently, their paths sharing forward passes of at most `maxRows` sequences, as
// the suite loops do.
import type { MaskedGenerator } from "../src/generator/model.js";
import { generate } from "../src/generator/generate.js";
import type { Pipeline } from "../src/generator/pipeline.js";
import { DEFAULT_SAMPLE, StepBatcher } from "../src/generator/sampler.js";
import { precision } from "../src/util/precision.js";
import { matmulGflops } from "./engine.js";
import { matmulGflopsIn } from "./precision.js";

/** Multiply-adds x2 of one forward over a sequence of T tokens (linear layers, attention, head). */
export function forwardFlops(g: MaskedGenerator, T: number): number {
  const c = g.config;
  const d = c.dModel;
  const perLayer = 2 * T * (3 * d * d + d * d + 2 * c.mlpRatio * d * d) + 2 * 2 * T * T * d;
  return c.layers * perLayer + 2 * c.imageTokens * d * c.codebookSize;
}

export interface GenerateBenchResult {
  images: number;
  n: number;
  steps: number;
  cfg: number;
  seconds_per_image: number;
  images_per_second: number;
  nfe_per_image: number;
  generator_gflops: number;
  matmul_gflops: number; // float32, 1024³ (OpenBLAS)
  ratio: number; // generator GFLOP/s over matmul_gflops
  precision: string; // what the generator ran in (util/precision.ts)
  /** in bfloat16: the bfloat16 matmul's GFLOP/s (oneDNN), the machine's real limit then, and the ratio to it */
  matmul_gflops_bfloat16?: number;
  ratio_bfloat16?: number;
  peak_rss_mib: number;
  parameters: number;
  max_rows: number; // sequences per forward pass at most (each CFG half counts)
  mean_rows: number; // sequences per forward pass on average
}

export async function benchGenerate(p: Pipeline, prompts: string[], n = 20, maxRows = 160, onProgress?: (done: number, total: number) => void): Promise<GenerateBenchResult> {
  const o = { ...DEFAULT_SAMPLE, n, seed: 0 };
  await generate(p, prompts[0], { ...o, n: 2, steps: 2 }); // warm-up
  const batcher = new StepBatcher(maxRows);
  const shared = { ...p, batcher };
  // enough images at once to fill a pass: each image's N paths count twice with CFG
  const concurrent = Math.max(1, Math.floor(maxRows / (n * (o.cfg === 0 ? 1 : 2))));
  let nfe = 0;
  let done = 0;
  const t0 = performance.now();
  for (let i = 0; i < prompts.length; i += concurrent) {
    const runs = prompts.slice(i, i + concurrent).map((prompt, k) => generate(shared, prompt, { ...o, seed: i + k }));
    for (const r of await Promise.all(runs)) nfe += r.nfe;
    done += runs.length;
    onProgress?.(done, prompts.length);
  }
  const seconds = (performance.now() - t0) / 1000;
  const T = p.generator.config.maxText + p.generator.config.imageTokens;
  const generator_gflops = (nfe * forwardFlops(p.generator, T)) / seconds / 1e9;
  const matmul = matmulGflops();
  const bf16 = precision() === "bfloat16" ? matmulGflopsIn("bfloat16") : undefined;
  return {
    images: prompts.length,
    n,
    steps: o.steps,
    cfg: o.cfg,
    seconds_per_image: seconds / prompts.length,
    images_per_second: prompts.length / seconds,
    nfe_per_image: nfe / prompts.length,
    generator_gflops,
    matmul_gflops: matmul,
    ratio: generator_gflops / matmul,
    precision: precision(),
    ...(bf16 ? { matmul_gflops_bfloat16: bf16, ratio_bfloat16: generator_gflops / bf16 } : {}),
    peak_rss_mib: process.resourceUsage().maxRSS / 1024,
    parameters: p.generator.numParameters(),
    max_rows: maxRows,
    mean_rows: batcher.sequences / batcher.passes,
  };
}
