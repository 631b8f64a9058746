// Training examples of the embedded judges. Zero-shot: clean renders of training prompts with a
// matching scene, a near miss, or another prompt's scene - it never sees a generator output.
// Fine-tuned: the generator's own paths for training prompts (collect.ts), labelled as
// METHOD.md says: outcome = the final's correctness; process = Math-Shepherd; clarity = from
// the path's own images (clarity.ts); potential = the path's final correctness, asked at the
// path's clear steps. Groups of one prompt's paths, right and wrong, carry the ranking term.
import { readMetadataFile } from "../geneval/metadata.js";
import { evaluateImage } from "../geneval/rules.js";
import type { PromptMeta } from "../geneval/types.js";
import type { RGBImage } from "../shapes/image.js";
import { renderScene } from "../shapes/render.js";
import { type NearMissKind, nearMissKinds, sampleNearMiss, sampleScene, sceneDetections, sceneRng } from "../shapes/scene.js";
import { TEST_SUITE_FILE, createTrainPromptSampler } from "../shapes/train-prompts.js";
import { type Rng, mulberry32, randInt } from "../util/prng.js";
import type { Question } from "./judge.js";
import type { CollectedPath, CollectedPrompt } from "./collect.js";
import { type Observation, observe, observeScene } from "../geneval/observe.js";
import { SHAPE_CLASSES } from "../shapes/world.js";

export type SceneObservation = ReturnType<typeof observeScene>;

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
  /** every class's reading (SHAPE_CLASSES order), when known: a rules judge's class tokens learn it */
  scene?: SceneObservation;
  /** examples of one group (paths of one prompt, one question) are ranked against each other */
  group?: number;
  /** what a clean-render example shows: the prompt's scene, a near miss of a kind, or another prompt's scene */
  kind?: "match" | NearMissKind | "other";
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
    let kind: Example["kind"];
    if (u < 0.5) [scene, kind] = [sampleScene(meta, rng, { size }), "match"];
    else if (u < 0.85) {
      const kinds = nearMissKinds(meta);
      kind = kinds[randInt(rng, kinds.length)];
      scene = sampleNearMiss(meta, kind, rng, { size }).scene;
    } else [scene, kind] = [sampleScene(sampler!.sample(rng), rng, { size }), "other"]; // another prompt's scene
    const detections = sceneDetections(scene);
    return { meta, image: renderScene(scene), question: "outcome", yes: evaluateImage(meta, detections).correct, obs: observe(meta, detections), scene: observeScene(SHAPE_CLASSES, meta.tag, detections), kind };
  });
}

/** How the collected paths are turned into labelled examples. */
export interface PathExampleOptions {
  steps: number;
  /** share of each question among single examples */
  mix: Readonly<Record<Question, number>>;
}

export const DEFAULT_MIX: Readonly<Record<Question, number>> = { outcome: 0.25, process: 0.25, clarity: 0.25, potential: 0.25 };

/**
 * The step at which PARM would ask a path's potential: its first clear step, moved a little
 * either way so a judge that calls a step clear early or late still answers well; never the
 * final step (potential is asked of intermediate images).
 */
function potentialStep(path: CollectedPath, T: number, rng: Rng): number {
  return Math.max(0, Math.min(T - 2, path.clearFrom - 1 + randInt(rng, 3)));
}

function labelled(meta: PromptMeta, path: CollectedPath, question: Question, T: number, rng: Rng): Example {
  switch (question) {
    case "outcome":
      return { meta, image: path.predictions[T - 1], question, yes: path.correct, obs: observe(meta, path.detections), scene: observeScene(SHAPE_CLASSES, meta.tag, path.detections) };
    case "process": {
      if (!path.rollout) throw new Error("a process label needs the path's rollouts");
      const s = path.rollout.step;
      return { meta, image: path.predictions[s], question, step: s, steps: T, yes: path.correct || path.rollout.correct.some(Boolean), obs: null };
    }
    case "clarity": {
      // the step is not an input of the clarity question: the answer must come from the image
      const s = randInt(rng, T - 1);
      return { meta, image: path.predictions[s], question, yes: s >= path.clearFrom, obs: null };
    }
    case "potential": {
      const s = potentialStep(path, T, rng);
      return { meta, image: path.predictions[s], question, step: s, steps: T, yes: path.correct, obs: null };
    }
  }
}

/** Per collection, its paths with rollouts: the only ones the process question is asked of. */
const withRollouts = new WeakMap<readonly CollectedPrompt[], { meta: PromptMeta; path: CollectedPath }[]>();

function rolloutPaths(data: readonly CollectedPrompt[]) {
  let list = withRollouts.get(data);
  if (!list) withRollouts.set(data, (list = data.flatMap(({ meta, paths }) => paths.flatMap((path) => (path.rollout ? [{ meta, path }] : [])))));
  return list;
}

/** Whether some collected path carries rollouts (else no process label can be made). */
export function hasRollouts(data: readonly CollectedPrompt[]): boolean {
  return rolloutPaths(data).length > 0;
}

/** One fine-tuning example drawn from the collected paths (a process example from a path with rollouts). */
export function pathExample(data: readonly CollectedPrompt[], rng: Rng, o: PathExampleOptions): Example {
  const { meta, paths } = data[randInt(rng, data.length)];
  const path = paths[randInt(rng, paths.length)];
  let u = rng();
  const question = (Object.keys(o.mix) as Question[]).find((q) => (u -= o.mix[q]) < 0) ?? "outcome";
  if (question === "process" && !path.rollout) {
    const list = rolloutPaths(data);
    if (list.length === 0) throw new Error("no collected path has rollouts: the process question has no labels");
    const pick = list[randInt(rng, list.length)];
    return labelled(pick.meta, pick.path, question, o.steps, rng);
  }
  return labelled(meta, path, question, o.steps, rng);
}

/** The prompts whose paths end both right and wrong: the only ones a ranking term learns from. */
export function mixedPrompts(data: readonly CollectedPrompt[]): CollectedPrompt[] {
  return data.filter((d) => d.paths.some((p) => p.correct) && d.paths.some((p) => !p.correct));
}

/**
 * The held-out examples a fine-tuned judge is scored on (its training summary, `bench judge`):
 * every mixed prompt's paths as one outcome group and one potential group (the ranking), plus
 * 2,048 single examples of the four questions drawn with DEFAULT_MIX. The same `seed` gives the
 * same examples, so judges trained apart are scored alike.
 */
export function heldOutPathExamples(held: readonly CollectedPrompt[], seed: number, T: number): Example[] {
  const rng = mulberry32(seed + 99);
  const mixed = mixedPrompts(held);
  return [
    ...mixed.flatMap((p, g) => rankingGroup([p], rng, "outcome", p.paths.length, T, 2 * g)),
    ...mixed.flatMap((p, g) => rankingGroup([p], rng, "potential", p.paths.length, T, 2 * g + 1)),
    ...Array.from({ length: 2048 }, () => pathExample(held, rng, { steps: T, mix: DEFAULT_MIX })),
  ];
}

/**
 * A group of `size` paths of one mixed prompt, half right and half wrong where the prompt has
 * them, all asked `question` (outcome on the finals, potential at each path's own clear step).
 */
export function rankingGroup(mixed: readonly CollectedPrompt[], rng: Rng, question: "outcome" | "potential", size: number, T: number, group: number): Example[] {
  const { meta, paths } = mixed[randInt(rng, mixed.length)];
  const pick = (xs: CollectedPath[], k: number) => {
    const left = xs.slice();
    return Array.from({ length: Math.min(k, left.length) }, () => left.splice(randInt(rng, left.length), 1)[0]);
  };
  const right = paths.filter((p) => p.correct);
  const wrong = paths.filter((p) => !p.correct);
  const r = pick(right, Math.max(1, Math.min(right.length, size - Math.min(wrong.length, Math.floor(size / 2)))));
  const w = pick(wrong, size - r.length);
  return [...r, ...w].map((path) => ({ ...labelled(meta, path, question, T, rng), group }));
}
