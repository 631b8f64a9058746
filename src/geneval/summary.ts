// GenEval's summary of per-image verdicts, as evaluation/summary_scores.py: accuracy per tag over
// images, the overall score as the plain mean of the tags present, and prompts correct if any image is.
import type { Tag } from "./types.js";

export interface ScoredImage {
  tag: Tag;
  /** Images with the same key are samples of one prompt (GenEval groups by the metadata). */
  promptKey: string;
  correct: boolean;
}

export interface Summary {
  /** Unweighted mean of the by_tag accuracies, in [0, 1]. */
  overall: number;
  /** Fraction of correct images per tag present, in order of first appearance (pandas groupby sort=False). */
  by_tag: Partial<Record<Tag, number>>;
  images: number;
  /** Percent (0..100) of images judged correct. */
  correct_images_pct: number;
  /** Percent (0..100) of prompts with at least one correct image. */
  correct_prompts_pct: number;
}

const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;

export function summarize(images: readonly ScoredImage[]): Summary {
  if (images.length === 0) throw new Error("summarize: no images");
  const byTag = new Map<Tag, number[]>();
  const byPrompt = new Map<string, boolean>();
  for (const im of images) {
    const tagged = byTag.get(im.tag);
    if (tagged) tagged.push(im.correct ? 1 : 0);
    else byTag.set(im.tag, [im.correct ? 1 : 0]);
    byPrompt.set(im.promptKey, (byPrompt.get(im.promptKey) ?? false) || im.correct);
  }
  const by_tag: Partial<Record<Tag, number>> = {};
  for (const [tag, xs] of byTag) by_tag[tag] = mean(xs);
  return {
    overall: mean(Object.values(by_tag)),
    by_tag,
    images: images.length,
    correct_images_pct: 100 * mean(images.map((im) => (im.correct ? 1 : 0))),
    correct_prompts_pct: 100 * mean([...byPrompt.values()].map((c) => (c ? 1 : 0))),
  };
}
