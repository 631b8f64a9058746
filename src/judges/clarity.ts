// Clarity, labelled per path from the path's own images: a step is clear once the detector reads
// that step's image as it reads the path's final, and keeps reading it so at every later step.
// So the label depends on what the images show, not on the step number (the first judges'
// single threshold step made their clarity answer ignore the image).
import { observe } from "../geneval/observe.js";
import { evaluateImage } from "../geneval/rules.js";
import type { Detection, PromptMeta } from "../geneval/types.js";

/** What GenEval's rules make of an image, as a comparable key: the verdict and the observation of the prompt's objects. */
export function readingKey(meta: PromptMeta, detections: readonly Detection[]): string {
  return JSON.stringify([evaluateImage(meta, detections).correct, observe(meta, detections)]);
}

/** The first step from which every reading equals the last one (the final's); readings[t] is step t's. */
export function clearFrom(readings: readonly string[]): number {
  if (readings.length === 0) throw new Error("clearFrom: a path has no steps");
  const final = readings[readings.length - 1];
  let s = readings.length - 1;
  while (s > 0 && readings[s - 1] === final) s--;
  return s;
}
