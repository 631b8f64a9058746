// `imagecot bench dpo-memory`: iterative DPO's resident memory across rounds in one process.
// One process that ranked round 2 and then trained it once grew to about 12 GB, where a fresh
// one trains the same round in 0.9 GB: this measures each round's peak against the first's, so
// that such growth shows (target: every round under 1.5 times the first round's peak).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command, Option } from "commander";
import { DPO_DEFAULTS } from "../align/dpo.js";
import { runDpo } from "../align/iterative.js";
import { type Labeller, RANK_TEMPERATURE } from "../align/rank.js";
import { DEFAULT_SAMPLE, type SampleOptions } from "../generator/sampler.js";
import { DEFAULT_GENERATOR_WEIGHTS, DEFAULT_TOKENIZER } from "../models/paths.js";
import { liveTensors } from "../torch/index.js";
import { writeResult } from "../util/provenance.js";
import { intOption } from "./options.js";
import { UserError } from "./run.js";

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

/** Runs rounds 1..R of iterative DPO in this process, each round's peak resident memory after it. */
export async function dpoMemory(o: DpoMemoryOptions) {
  const dir = mkdtempSync(join(tmpdir(), "imagecot-dpo-memory-"));
  const rounds: { round: number; peak_rss_mib: number; rss_mib: number; live_tensors: number; seconds: number }[] = [];
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
      rounds.push({ round: r, peak_rss_mib: Math.round(peakMiB()), rss_mib: Math.round(process.memoryUsage().rss / 2 ** 20), live_tensors: liveTensors(), seconds: Math.round((performance.now() - t0) / 1000) });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const ratio = Math.max(...rounds.map((x) => x.peak_rss_mib)) / rounds[0].peak_rss_mib;
  return { rounds, prompts: o.prompts, samples_per_prompt: o.samplesPerPrompt, steps: o.steps, peak_over_first_round: ratio, target: 1.5, met: ratio < 1.5 };
}

export function addDpoMemoryBench(bench: Command): void {
  bench
    .command("dpo-memory")
    .description("resident memory of iterative DPO across rounds in one process: each round's peak against the first's")
    .option("--generator <file>", "the start", DEFAULT_GENERATOR_WEIGHTS)
    .option("--tokenizer <file>", "VQ tokenizer weights", DEFAULT_TOKENIZER)
    .addOption(new Option("--rounds <n>", "rounds").default(3).argParser(intOption))
    .addOption(new Option("--prompts <n>", "training prompts ranked per round").default(100).argParser(intOption))
    .addOption(new Option("--samples-per-prompt <k>", "images per prompt").default(8).argParser(intOption))
    .addOption(new Option("--steps <n>", "DPO steps per round").default(50).argParser(intOption))
    .option("--json", "print the figures as one JSON line")
    .option("--out <file>", "also write them with their provenance (e.g. results/dpo-memory.json)")
    .addHelpText("after", "\nExit codes: 0 measured, 1 failure, 2 bad arguments.\n\nExample:\n  imagecot bench dpo-memory --rounds 3 --prompts 100 --out results/dpo-memory.json")
    .action(async (o: { generator: string; tokenizer: string; rounds: number; prompts: number; samplesPerPrompt: number; steps: number; json?: boolean; out?: string }) => {
      if (o.rounds < 2 || o.prompts < 1 || o.samplesPerPrompt < 2 || o.steps < 1) throw new UserError("--rounds must be at least 2, --samples-per-prompt at least 2, --prompts and --steps at least 1");
      const result = await dpoMemory(o);
      if (o.out) writeResult(o.out, { dpo_memory: result });
      process.stdout.write(JSON.stringify(result, null, o.json ? undefined : 2) + "\n");
    });
}
