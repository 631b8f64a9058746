// Self-correction data (METHOD.md section 2, PARM++): groups of (prompt, wrong image, reason,
// right image) from the generator's own paths for training prompts. The wrong image is a final
// the detector rejects; the reason is what its detections show against the prompt, in the
// words a reflecting judge uses; the right image is a final of the same prompt the detector
// accepts, or else a clean render of the prompt. Steps alternate correction rows with plain
// renders so that the fine-tuned generator still generates from the prompt alone.
import type { PromptMeta } from "../geneval/types.js";
import type { CollectedPrompt } from "../judges/collect.js";
import { UNSPECIFIED_REASON, describeMismatch, observe } from "../geneval/observe.js";
import { renderScene } from "../shapes/render.js";
import { sampleScene, sceneRng } from "../shapes/scene.js";
import { imagesToTensor } from "../tokenizer/pixels.js";
import type { VQAutoencoder } from "../tokenizer/vq.js";
import { noGrad, tidy } from "../torch/index.js";
import { mulberry32, randInt } from "../util/prng.js";
import { promptIds, reasonIds } from "../generator/prompt.js";
import type { GeneratorBatch } from "../generator/train.js";

export interface CorrectionGroup {
  meta: PromptMeta;
  wrong: number[];
  reason: string;
  /** finals of the same prompt the detector accepts (may be empty: a render is used) */
  right: number[][];
}

export function correctionGroups(data: readonly CollectedPrompt[]): CorrectionGroup[] {
  return data.flatMap(({ meta, paths }) => {
    const right = paths.filter((p) => p.correct).map((p) => p.predictions.at(-1)!);
    return paths
      .filter((p) => !p.correct)
      .map((p) => ({ meta, wrong: p.predictions.at(-1)!, reason: describeMismatch(meta, observe(meta, p.detections)) ?? UNSPECIFIED_REASON, right }));
  });
}

export interface CorrectionBatchOptions {
  batch: number;
  seed: number;
  maxText: number;
  maxReason: number;
  imageTokens: number;
  condDropout: number;
  /** share of rows trained without the reason (PARM++'s no-reason ablation regenerates that way) */
  noReason: number;
}

/** The correction rows of one step: a pure function of (seed, step). */
export function correctionBatch(groups: readonly CorrectionGroup[], vq: VQAutoencoder, o: CorrectionBatchOptions, step: number): GeneratorBatch {
  const rng = mulberry32(o.seed * 1_000_003 + step);
  const picked = Array.from({ length: o.batch }, () => groups[randInt(rng, groups.length)]);
  const renders = picked.flatMap((g, i) => (g.right.length === 0 ? [{ i, image: renderScene(sampleScene(g.meta, sceneRng(o.seed, step, i), { size: vq.config.imageSize })) }] : []));
  const rendered = renders.length === 0 ? [] : noGrad(() => tidy(() => vq.encode(imagesToTensor(renders.map((r) => r.image))).reshape([renders.length, o.imageTokens]).toArray()));
  const tokens = picked.map((g) => (g.right.length > 0 ? g.right[randInt(rng, g.right.length)] : []));
  renders.forEach((r, k) => (tokens[r.i] = rendered.slice(k * o.imageTokens, (k + 1) * o.imageTokens)));
  return {
    text: picked.map((g) => promptIds(rng() < o.condDropout ? null : g.meta.prompt, o.maxText)),
    reason: picked.map((g) => reasonIds(rng() < o.noReason ? "" : g.reason, o.maxReason)),
    previous: picked.map((g) => g.wrong),
    tokens,
  };
}
