// Training examples of the embedded judges. Zero-shot: clean renders of training prompts with a
// matching scene, a near miss, or another prompt's scene - it never sees a generator output.
// Fine-tuned: the generator's own paths for training prompts (collect.ts), labelled as
// METHOD.md says: outcome = the final's correctness; process = Math-Shepherd; clarity = by
// step; potential = the path's final correctness, asked at clear steps.
import { readMetadataFile } from "../geneval/metadata.js";
import { evaluateImage } from "../geneval/rules.js";
import type { PromptMeta } from "../geneval/types.js";
import type { RGBImage } from "../shapes/image.js";
import { renderScene } from "../shapes/render.js";
import { nearMissKinds, sampleNearMiss, sampleScene, sceneDetections, sceneRng } from "../shapes/scene.js";
import { TEST_SUITE_FILE, createTrainPromptSampler } from "../shapes/train-prompts.js";
import { type Rng, randInt } from "../util/prng.js";
import type { Question } from "./judge.js";
import type { CollectedPrompt } from "./collect.js";
import { type Observation, observe } from "../geneval/observe.js";

export const QUESTION_ID: Readonly<Record<Question, number>> = { outcome: 0, process: 1, clarity: 2, potential: 3 };

/** The step embedding's bucket: the step for intermediate images, the last bucket for finals. */
export function stepBucket(buckets: number, step?: number, steps?: number): number {
  if (step === undefined || steps === undefined) return buckets - 1;
  return Math.min(buckets - 2, Math.round((step / Math.max(1, steps - 1)) * (buckets - 2)));
}

export interface Example {
  meta: PromptMeta;
  /** pixels, or image tokens the trainer decodes */
  image: RGBImage | number[];
  question: Question;
  step?: number;
  steps?: number;
  yes: boolean;
  /** reflection targets, when known */
  obs: Observation | null;
}

let sampler: ReturnType<typeof createTrainPromptSampler> | null = null;

/** A batch of clean-render examples, half "yes": a pure function of (seed, step). */
export function cleanExamples(seed: number, step: number, batch: number, size: number): Example[] {
  sampler ??= createTrainPromptSampler(readMetadataFile(TEST_SUITE_FILE));
  return Array.from({ length: batch }, (_, i) => {
    const rng = sceneRng(seed, step, i);
    const meta = sampler!.sample(rng);
    const u = rng();
    let scene;
    if (u < 0.5) scene = sampleScene(meta, rng, { size });
    else if (u < 0.85) {
      const kinds = nearMissKinds(meta);
      scene = sampleNearMiss(meta, kinds[randInt(rng, kinds.length)], rng, { size }).scene;
    } else scene = sampleScene(sampler!.sample(rng), rng, { size }); // another prompt's scene
    const detections = sceneDetections(scene);
    return { meta, image: renderScene(scene), question: "outcome", yes: evaluateImage(meta, detections).correct, obs: observe(meta, detections) };
  });
}

/** How the collected paths are turned into labelled examples. */
export interface PathExampleOptions {
  steps: number;
  /** intermediate images from this step on are "clear" */
  clearFrom: number;
  /** share of each question in a batch */
  mix: Readonly<Record<Question, number>>;
}

export const DEFAULT_MIX: Readonly<Record<Question, number>> = { outcome: 0.35, process: 0.2, clarity: 0.15, potential: 0.3 };

/** One fine-tuning example drawn from the collected paths. */
export function pathExample(data: readonly CollectedPrompt[], rng: Rng, o: PathExampleOptions): Example {
  const { meta, paths } = data[randInt(rng, data.length)];
  const path = paths[randInt(rng, paths.length)];
  const T = o.steps;
  let u = rng();
  const question = (Object.keys(o.mix) as Question[]).find((q) => (u -= o.mix[q]) < 0) ?? "outcome";
  switch (question) {
    case "outcome":
      return { meta, image: path.predictions[T - 1], question, yes: path.correct, obs: observe(meta, path.detections) };
    case "process": {
      const s = path.rollout.step;
      return { meta, image: path.predictions[s], question, step: s, steps: T, yes: path.correct || path.rollout.correct.some(Boolean), obs: null };
    }
    case "clarity": {
      const s = randInt(rng, T - 1);
      return { meta, image: path.predictions[s], question, step: s, steps: T, yes: s >= o.clearFrom, obs: null };
    }
    case "potential": {
      // asked at a path's first clear step; a little earlier too, so a judge that calls a step clear early still answers well
      const s = Math.max(0, o.clearFrom - 2) + randInt(rng, T - 1 - Math.max(0, o.clearFrom - 2));
      return { meta, image: path.predictions[s], question, step: s, steps: T, yes: path.correct, obs: null };
    }
  }
}
