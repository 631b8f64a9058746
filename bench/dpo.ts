// Times DPO's two costs with the shipped generator: one `data rank` prompt (K samples decoded,
// labelled by the detector, PNGs and record written) and one DPO step (policy forward and
// backward plus the reference forward on 2 x batch rows). `node dist/bench/dpo.js [K] [batch]`
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { trainDpo } from "../src/align/dpo.js";
import type { Pair } from "../src/align/pairs.js";
import { RANK_TEMPERATURE, rankData, readRanked } from "../src/align/rank.js";
import { DEFAULT_SAMPLE } from "../src/generator/sampler.js";
import { loadGenerator, loadPipeline } from "../src/models/load.js";
import { DEFAULT_GENERATOR_WEIGHTS } from "../src/models/paths.js";
import { readTrainLog } from "../src/train/log.js";

const K = Number(process.argv[2] ?? 8);
const BATCH = Number(process.argv[3] ?? 16);
const PROMPTS = 3;
const dir = mkdtempSync(join(tmpdir(), "imagecot-bench-dpo-"));
try {
  const pipeline = loadPipeline();
  const perPrompt: number[] = [];
  let t = performance.now();
  await rankData(pipeline, {
    out: join(dir, "data"),
    prompts: PROMPTS,
    samplesPerPrompt: K,
    seed: 1,
    sample: { ...DEFAULT_SAMPLE, temperature: RANK_TEMPERATURE },
    pairsPerPrompt: 2,
    generator: DEFAULT_GENERATOR_WEIGHTS,
    onProgress: () => {
      const now = performance.now();
      perPrompt.push((now - t) / 1000);
      t = now;
    },
  });
  const recs = readRanked(join(dir, "data"));
  const samples = recs.flatMap((r) => r.samples.map((s) => ({ prompt: r.meta.prompt, tokens: s.tokens })));
  // step time does not depend on which images pair up: pair the samples cyclically
  const pairs: Pair[] = Array.from({ length: BATCH * 4 }, (_, i) => {
    const c = samples[i % samples.length];
    const r = samples[(i + 1) % samples.length];
    return { prompt: c.prompt, chosen: "", rejected: "", prompt_index: i, tag: "", chosen_sample: 0, rejected_sample: 1, chosen_tokens: c.tokens, rejected_tokens: r.tokens, weight: 1 };
  });
  const policy = loadGenerator(DEFAULT_GENERATOR_WEIGHTS);
  const reference = loadGenerator(DEFAULT_GENERATOR_WEIGHTS);
  const steps = 4;
  trainDpo(
    { runDir: join(dir, "train"), out: join(dir, "out.safetensors"), steps, epochs: 1, batch: BATCH, lr: 1e-5, beta: 0.1, nllWeight: 0, cfg: 0, uncondAnchor: 0, masks: 1, minMaskRatio: 0, trajectory: false, weightDecay: 0.01, warmup: 0.1, seed: 1, weighted: false, checkpointEvery: 1000, logEvery: 1 },
    policy,
    reference,
    pairs,
  );
  const stepSec = readTrainLog(join(dir, "train", "log.jsonl")).map((e) => e.sec_per_step);
  const yes = recs.flatMap((r) => r.samples).filter((s) => s.correct).length;
  process.stdout.write(
    JSON.stringify({
      rank: { samples_per_prompt: K, temperature: RANK_TEMPERATURE, sec_per_prompt: perPrompt.map((x) => +x.toFixed(3)), yes_rate: yes / (PROMPTS * K) },
      dpo: { batch: BATCH, rows_per_forward: 2 * BATCH, sec_per_step: stepSec.map((x) => +x.toFixed(3)), parameters: policy.numParameters() },
    }) + "\n",
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
