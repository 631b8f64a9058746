// Ground-truth images of a suite, in GenEval's folder layout: what a perfect generator would draw,
// for checking the evaluation end to end and for training the tokenizer and generator.
import { writePromptMetadata, writeSample } from "../geneval/layout.js";
import type { PromptMeta } from "../geneval/types.js";
import { type RGBImage, encodePng } from "./image.js";
import { renderScene } from "./render.js";
import { sampleScene, sceneRng } from "./scene.js";

export interface RenderSuiteOptions {
  imagesPerPrompt: number;
  seed: number;
  /** image side in pixels (default 64) */
  size?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Image `sample` of prompt `prompt` as a perfect generator draws it: a scene from its own stream under `seed`. */
export function groundTruthImage(meta: PromptMeta, seed: number, prompt: number, sample: number, size?: number): RGBImage {
  return renderScene(sampleScene(meta, sceneRng(seed, prompt, sample), { size }));
}

/** Writes OUT/NNNNN/metadata.jsonl and OUT/NNNNN/samples/SSSS.png for every prompt; returns the image count. */
export function renderSuite(suite: readonly PromptMeta[], out: string, opts: RenderSuiteOptions): number {
  const total = suite.length * opts.imagesPerPrompt;
  let done = 0;
  suite.forEach((meta, p) => {
    writePromptMetadata(out, p, meta);
    for (let s = 0; s < opts.imagesPerPrompt; s++) {
      writeSample(out, p, s, encodePng(groundTruthImage(meta, opts.seed, p, s, opts.size)));
      opts.onProgress?.(++done, total);
    }
  });
  return total;
}
