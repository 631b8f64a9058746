// Training data of the shapes world: renders of training prompts (never a test prompt). The
// batch of a step is a pure function of (seed, step, class weights), so resumed runs see the same data.
import { readMetadataFile } from "../geneval/metadata.js";
import type { PromptMeta } from "../geneval/types.js";
import type { RGBImage } from "../shapes/image.js";
import { renderScene } from "../shapes/render.js";
import { sampleScene, sceneRng } from "../shapes/scene.js";
import { type ClassWeights, TEST_SUITE_FILE, type TrainPromptSampler, createTrainPromptSampler, weightedByClass } from "../shapes/train-prompts.js";

let sampler: TrainPromptSampler | null = null;

export interface TrainingBatch {
  metas: PromptMeta[];
  images: RGBImage[];
}

/** The renders of one step; with `classWeights`, of prompts reweighted by the classes they name. */
export function trainingBatch(seed: number, step: number, batch: number, size: number, classWeights?: ClassWeights): TrainingBatch {
  sampler ??= createTrainPromptSampler(readMetadataFile(TEST_SUITE_FILE));
  // a wrapper of the one sampler, cheap to make (weights of 1 draw as the sampler does)
  const from = classWeights ? weightedByClass(sampler, classWeights) : sampler;
  const metas: PromptMeta[] = [];
  const images: RGBImage[] = [];
  for (let i = 0; i < batch; i++) {
    const rng = sceneRng(seed, step, i);
    const meta = from.sample(rng);
    metas.push(meta);
    images.push(renderScene(sampleScene(meta, rng, { size })));
  }
  return { metas, images };
}
