// Training data of the shapes world: renders of training prompts (never a test prompt). The
// batch of a step is a pure function of (seed, step), so resumed runs see the same data.
import { readMetadataFile } from "../geneval/metadata.js";
import type { PromptMeta } from "../geneval/types.js";
import type { RGBImage } from "../shapes/image.js";
import { renderScene } from "../shapes/render.js";
import { sampleScene, sceneRng } from "../shapes/scene.js";
import { TEST_SUITE_FILE, createTrainPromptSampler } from "../shapes/train-prompts.js";

let sampler: ReturnType<typeof createTrainPromptSampler> | null = null;

export interface TrainingBatch {
  metas: PromptMeta[];
  images: RGBImage[];
}

export function trainingBatch(seed: number, step: number, batch: number, size: number): TrainingBatch {
  sampler ??= createTrainPromptSampler(readMetadataFile(TEST_SUITE_FILE));
  const metas: PromptMeta[] = [];
  const images: RGBImage[] = [];
  for (let i = 0; i < batch; i++) {
    const rng = sceneRng(seed, step, i);
    const meta = sampler.sample(rng);
    metas.push(meta);
    images.push(renderScene(sampleScene(meta, rng, { size })));
  }
  return { metas, images };
}
