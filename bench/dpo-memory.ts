// Iterative DPO's resident memory across rounds in one process (`imagecot bench dpo-memory`).
// One process that ranked round 2 and then trained it once grew to about 12 GB, where a fresh
// one trains the same round in 0.9 GB: this measures each round's peak against the first's, so
// that such growth shows (target: every round under 1.5 times the first round's peak).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DPO_DEFAULTS } from "../src/align/dpo.js";
import { runDpo } from "../src/align/iterative.js";
import { type Labeller, RANK_TEMPERATURE } from "../src/align/rank.js";
import { DEFAULT_SAMPLE, type SampleOptions } from "../src/generator/sampler.js";
import { heapStats, liveOptimizers, liveTensors, trimHeap } from "../src/torch/index.js";

/** The process's peak resident set so far, MiB (the kernel's high-water mark). */
const peakMiB = () => process.resourceUsage().maxRSS / 1024;

export interface DpoMemoryOptions {
  generator: string;
  tokenizer: string;
  rounds: number;
  prompts: number;
  samplesPerPrompt: number;
  steps: number;
  sample?: SampleOptions;
  /** the ranking's labeller (default: the detector; tests script one) */
  label?: Labeller;
}

/** The growth across rounds: the highest round peak over the first round's, against the target. */
export function memoryGrowth(peaks: readonly number[], target = 1.5): { peak_over_first_round: number; target: number; met: boolean } {
  if (peaks.length === 0 || !(peaks[0] > 0)) throw new Error("memoryGrowth: needs the first round's peak");
  const ratio = Math.max(...peaks) / peaks[0];
  return { peak_over_first_round: ratio, target, met: ratio < target };
}

/** Runs rounds 1..R of iterative DPO in this process, each round's peak resident memory after it. */
export async function dpoMemory(o: DpoMemoryOptions) {
  const dir = mkdtempSync(join(tmpdir(), "imagecot-dpo-memory-"));
  const rounds: { round: number; peak_rss_mib: number; rss_mib: number; live_tensors: number; live_optimizers: number; heap_in_use_mib: number; seconds: number }[] = [];
  try {
    for (let r = 1; r <= o.rounds; r++) {
      const t0 = performance.now();
      // runs (or finds done) rounds 1..r: only round r is new work
      await runDpo({
        runDir: join(dir, "run"),
        out: join(dir, "final.safetensors"),
        rounds: r,
        generator: o.generator,
        tokenizer: o.tokenizer,
        rank: { prompts: o.prompts, samplesPerPrompt: o.samplesPerPrompt, seed: 1, sample: o.sample ?? { ...DEFAULT_SAMPLE, temperature: RANK_TEMPERATURE }, pairsPerPrompt: 2, tau: 0.1 },
        train: { ...DPO_DEFAULTS, steps: o.steps, seed: 1 },
        label: o.label,
      });
      trimHeap();
      // what the process still holds between rounds: native tensors and optimisers, and the C heap in use (not merely kept)
      rounds.push({ round: r, peak_rss_mib: Math.round(peakMiB()), rss_mib: Math.round(process.memoryUsage().rss / 2 ** 20), live_tensors: liveTensors(), live_optimizers: liveOptimizers(), heap_in_use_mib: Math.round(heapStats().in_use_mib), seconds: Math.round((performance.now() - t0) / 1000) });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { rounds, prompts: o.prompts, samples_per_prompt: o.samplesPerPrompt, steps: o.steps, ...memoryGrowth(rounds.map((x) => x.peak_rss_mib)) };
}
