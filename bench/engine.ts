// `imagecot bench engine`: the binding's speed and memory figures, one JSON object.
import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  AdamW,
  Conv2d,
  F,
  Linear,
  Module,
  type Tensor,
  getBlasThreads,
  getNumThreads,
  randint,
  randn,
  setNumThreads,
  tidy,
  torchVersion,
} from "../src/torch/index.js";
import { ReferenceTransformer, type TransformerConfig } from "./reference-transformer.js";

export const REFERENCE: TransformerConfig = { vocab: 1100, seqLen: 80, dModel: 192, layers: 6, heads: 4, mlpRatio: 4 };

export function timeMs(fn: () => void, warmup: number, reps: number): number {
  for (let i = 0; i < warmup; i++) fn();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) fn();
  return (performance.now() - t0) / reps;
}

export function matmulGflops(n = 1024, reps = 10): number {
  const [a, b] = [randn([n, n]).keep(), randn([n, n]).keep()];
  const ms = timeMs(() => a.matmul(b).dispose(), 2, reps);
  a.dispose();
  b.dispose();
  return (2 * n ** 3) / (ms * 1e6);
}

/** Mean cost of a tiny op through the binding (a 1-element add, created and freed). */
export function opOverheadUs(reps = 20000): number {
  const x = randn([1]).keep();
  const ms = timeMs(() => x.add(1).dispose(), 1000, reps);
  x.dispose();
  return ms * 1000;
}

/** One forward + backward + AdamW step of a transformer config, in ms per step. */
export function transformerStepMs(c: TransformerConfig, batch: number, steps: number): number {
  const model = new ReferenceTransformer(c);
  const opt = new AdamW(model.namedParameters(), { lr: 3e-4 });
  const x = randint(0, c.vocab, [batch, c.seqLen]).keep();
  const y = randint(0, c.vocab, [batch, c.seqLen]).keep();
  const step = () =>
    tidy(() => {
      opt.zeroGrad();
      model.forward(x, y).loss!.backward();
      opt.step();
    });
  const ms = timeMs(step, 2, steps);
  model.dispose();
  x.dispose();
  y.dispose();
  return ms;
}

class SmallCnn extends Module {
  readonly convs;
  readonly head;
  constructor() {
    super();
    this.convs = [3, 32, 64].map((c, i) => this.module(`conv${i}`, new Conv2d(c, [32, 64, 128][i], 3, { padding: 1 })));
    this.head = this.module("head", new Linear(128, 10));
  }
  forward(x: Tensor): Tensor {
    for (const c of this.convs) x = F.maxPool2d(c.forward(x).relu(), 2); // 64 -> 32 -> 16 -> 8
    return this.head.forward(F.adaptiveAvgPool2d(x, 1).flatten(1)); // (B, 10)
  }
}

/** Batch 32 of 64x64x3 through conv 32/64/128 with pooling, 10 classes, Adam. */
export function cnnStepMs(steps: number): number {
  const model = new SmallCnn();
  const opt = new AdamW(model.namedParameters(), { lr: 1e-3, weightDecay: 0 });
  const x = randn([32, 3, 64, 64]).keep();
  const y = randint(0, 10, [32]).keep();
  const ms = timeMs(
    () =>
      tidy(() => {
        opt.zeroGrad();
        F.crossEntropy(model.forward(x), y).backward();
        opt.step();
      }),
    2,
    steps,
  );
  model.dispose();
  x.dispose();
  y.dispose();
  return ms;
}

/**
 * RSS growth over a long run of training steps of a small transformer: the resident set
 * after warm-up against the largest seen later. Flat memory means every tensor is freed.
 */
export function rssGrowth(steps: number, onProgress?: (done: number) => void): { pct: number; warm_mib: number; max_mib: number } {
  const c: TransformerConfig = { vocab: 64, seqLen: 16, dModel: 32, layers: 2, heads: 2, mlpRatio: 4 };
  const model = new ReferenceTransformer(c);
  const opt = new AdamW(model.namedParameters(), { lr: 1e-3 });
  const warmup = Math.min(500, Math.floor(steps / 10));
  let warm = 0;
  let max = 0;
  for (let s = 0; s < steps; s++) {
    tidy(() => {
      const x = randint(0, c.vocab, [8, c.seqLen]);
      opt.zeroGrad();
      model.forward(x, x).loss!.backward();
      opt.step();
    });
    if (s === warmup) warm = process.memoryUsage.rss();
    if (s > warmup && s % 100 === 0) max = Math.max(max, process.memoryUsage.rss());
    if (s % 500 === 0) onProgress?.(s);
  }
  max = Math.max(max, process.memoryUsage.rss());
  model.dispose();
  const mib = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
  return { pct: Math.round(((max - warm) / warm) * 1000) / 10, warm_mib: mib(warm), max_mib: mib(max) };
}

/** The same reference step written directly in C++ (bench/native), or null if it cannot build. */
export function cppTransformerStepMs(steps: number): number | null {
  const script = join(dirname(fileURLToPath(import.meta.url)), "../../bench/native/run-reference.sh");
  try {
    const out = execFileSync("bash", [script, String(steps)], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return (JSON.parse(out.trim().split("\n").pop()!) as { cpp_transformer_step_ms: number }).cpp_transformer_step_ms;
  } catch {
    return null;
  }
}

export interface EngineBenchOptions {
  transformerSteps: number;
  cnnSteps: number;
  rssSteps: number;
  reference: boolean;
  onStage?: (stage: string) => void;
  /** during the long RSS run: steps done and total */
  onProgress?: (done: number, total: number) => void;
}

export function runEngineBench(o: EngineBenchOptions) {
  const stage = o.onStage ?? (() => {});
  stage("matmul");
  const matmul_gflops = Math.round(matmulGflops() * 10) / 10;
  stage("op overhead");
  const op_overhead_us = Math.round(opOverheadUs() * 100) / 100;
  stage("transformer step");
  const transformer_step_ms = Math.round(transformerStepMs(REFERENCE, 32, o.transformerSteps) * 10) / 10;
  // the same step with libtorch's intra-op pool at 2 as well as OpenBLAS's 2 threads: oversubscribed
  stage("transformer step, intra-op 2");
  setNumThreads(2);
  const transformer_step_ms_intra_op_2 = Math.round(transformerStepMs(REFERENCE, 32, Math.min(o.transformerSteps, 5)) * 10) / 10;
  setNumThreads(1);
  stage("cnn step");
  const cnn_step_ms = Math.round(cnnStepMs(o.cnnSteps) * 10) / 10;
  stage("C++ reference step");
  const cpp_transformer_step_ms = o.reference ? cppTransformerStepMs(o.transformerSteps) : null;
  stage(`rss over ${o.rssSteps} steps`);
  const rss = rssGrowth(o.rssSteps, o.onProgress && ((done) => o.onProgress!(done, o.rssSteps)));
  return {
    matmul_gflops,
    op_overhead_us,
    transformer_step_ms,
    transformer_step_ms_intra_op_2,
    cpp_transformer_step_ms,
    ts_over_cpp: cpp_transformer_step_ms ? Math.round((transformer_step_ms / cpp_transformer_step_ms) * 1000) / 1000 : null,
    cnn_step_ms,
    rss_growth_pct: rss.pct,
    rss_warm_mib: rss.warm_mib,
    rss_max_mib: rss.max_mib,
    rss_steps: o.rssSteps,
    transformer: { ...REFERENCE, batch: 32, steps: o.transformerSteps },
    threads: { torch_intra_op: getNumThreads(), blas: getBlasThreads() },
    torch_version: torchVersion(),
  };
}
