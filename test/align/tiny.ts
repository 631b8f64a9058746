// Tiny untrained models for the alignment tests (built the same in every process), a scripted
// labeller (an untrained generator never draws a shape the detector finds) and a scripted judge
// (its score: the image's mean blue).
import { join } from "node:path";
import type { Labeller, RankOptions } from "../../src/align/rank.js";
import type { Judge, JudgeRequest, Verdict } from "../../src/judges/judge.js";
import type { RGBImage } from "../../src/shapes/image.js";
import { saveWeights } from "../../src/train/checkpoint.js";
import { tokenizerId } from "../../src/tokenizer/id.js";

import { GEN_CONFIG, VQ_CONFIG, tinyPipeline } from "../fixtures/tiny.js";
import { disposePipeline } from "../../src/models/load.js";

export { GEN_CONFIG, VQ_CONFIG, tinyPipeline };
export const TINY_SAMPLE = { steps: 4, cfg: 1, temperature: 1.5, confidenceTemperature: 4.5 };

/** Writes the tiny models' weights into dir: { generator, tokenizer } paths. */
export function saveTiny(dir: string): { generator: string; tokenizer: string } {
  const p = tinyPipeline();
  const files = { generator: join(dir, "generator.safetensors"), tokenizer: join(dir, "tokenizer.safetensors") };
  saveWeights(files.generator, p.generator, { ...GEN_CONFIG, tokenizer: tokenizerId(p.tokenizer) });
  saveWeights(files.tokenizer, p.tokenizer, VQ_CONFIG);
  disposePipeline(p);
  return files;
}

/** Mean of one channel over the image, in [0, 1]. */
export function channel(img: RGBImage, c: number): number {
  let s = 0;
  for (let i = c; i < img.data.length; i += 3) s += img.data[i];
  return s / (img.data.length / 3) / 255;
}

/**
 * "yes" when the red bytes sum to an odd number: deterministic, and mixed across samples (an
 * untrained model's images barely differ in colour, so a threshold would give one label).
 */
export const parityLabel: Labeller = (_meta, img) => {
  let s = 0;
  for (let i = 0; i < img.data.length; i += 3) s += img.data[i];
  return s % 2 === 1 ? { correct: true, reasons: [] } : { correct: false, reasons: ["even"] };
};

export class ScriptedJudge implements Judge {
  calls = 0;
  constructor(readonly name = "scripted", private readonly score: (img: RGBImage) => number = (img) => channel(img, 2)) {}
  async judge(requests: readonly JudgeRequest[]): Promise<Verdict[]> {
    this.calls += requests.length;
    return requests.map((r) => ({ pYes: this.score(r.image) }));
  }
}

/** Ranking options of the tests (the child process of the SIGKILL test uses the same). */
export function tinyRankOptions(out: string, extra: Partial<RankOptions> = {}): RankOptions {
  return { out, prompts: 8, samplesPerPrompt: 4, seed: 3, sample: TINY_SAMPLE, pairsPerPrompt: 2, generator: "tiny-generator", label: parityLabel, ...extra };
}
