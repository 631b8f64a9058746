// Self-correction data (METHOD.md section 2, PARM++): groups of (prompt, wrong image, reason,
// right image) from the generator's own paths for training prompts. The wrong image is a final
// the detector rejects; the right image is a final of the same prompt the detector accepts, or
// else a clean render of the prompt. The reason comes from one of three sources (every source
// keeps the same groups, so the models they train differ in their reasons alone):
//   judge     what the reflecting judge says about the wrong image, as PARM++ feeds it at
//             inference: its reason when it says no (empty when it gives none, as PARM++ passes
//             it); when it says yes, the generic reason (PARM++ never regenerates from such an
//             image, and the row still teaches a correction);
//   detector  what the detector's reading of the wrong image shows against the prompt, in the
//             words the reflecting judges use (the judge's target, which it does not always hit);
//   none      no reason at all: the ablation's model, which regenerates from the image alone.
// Steps alternate correction rows with plain renders so that the fine-tuned generator still
// generates from the prompt alone.
import type { PromptMeta } from "../geneval/types.js";
import { UNSPECIFIED_REASON } from "../geneval/observe.js";
import type { CollectedPath, CollectedPrompt } from "../judges/collect.js";
import { type Judge, says } from "../judges/judge.js";
import { detectorReason } from "../judges/reasons.js";
import type { RGBImage } from "../shapes/image.js";
import { groundTruthImage } from "../shapes/ground-truth.js";
import type { VQAutoencoder } from "../tokenizer/vq.js";
import { mulberry32, randInt } from "../util/prng.js";
import { yieldToLoop } from "../util/yield.js";
import { promptIds, reasonIds } from "../generator/prompt.js";
import type { GeneratorBatch } from "../generator/train.js";

export const REASON_SOURCES = ["judge", "detector", "none"] as const;
export type ReasonSource = (typeof REASON_SOURCES)[number];

export interface CorrectionGroup {
  meta: PromptMeta;
  wrong: number[];
  reason: string;
  /** finals of the same prompt the detector accepts (may be empty: a render is used) */
  right: number[][];
}

/** Where the reasons come from; the judge's reasons need the wrong images, decoded. */
export type ReasonGiver = { source: "detector" | "none" } | { source: "judge"; judge: Judge; decode: (grids: Int32Array[]) => RGBImage[] };

export interface CorrectionData {
  groups: CorrectionGroup[];
  /** with the judge's reasons: failing finals the judge accepted (their reason is the generic one) */
  judgeAccepted: number;
}

/** Wrong images decoded at a time for the judge (bounds the memory of large collections). */
const DECODE_CHUNK = 256;

export async function correctionGroups(data: readonly CollectedPrompt[], reasons: ReasonGiver): Promise<CorrectionData> {
  const failing = data.flatMap(({ meta, paths }) => {
    const right = paths.filter((p) => p.correct).map((p) => p.predictions.at(-1)!);
    return paths.filter((p) => !p.correct).map((path) => ({ meta, path, right }));
  });
  const group = (f: (typeof failing)[number], reason: string): CorrectionGroup => ({ meta: f.meta, wrong: f.path.predictions.at(-1)!, reason, right: f.right });
  if (reasons.source !== "judge") {
    const reason = reasons.source === "none" ? () => "" : (meta: PromptMeta, p: CollectedPath) => detectorReason(meta, p.detections);
    return { groups: failing.map((f) => group(f, reason(f.meta, f.path))), judgeAccepted: 0 };
  }
  const { judge, decode } = reasons;
  if (!judge.reflect) throw new Error(`judge '${judge.name}' does not reflect: it gives no reasons to train on`);
  const groups: CorrectionGroup[] = [];
  let judgeAccepted = 0;
  for (let i = 0; i < failing.length; i += DECODE_CHUNK) {
    const part = failing.slice(i, i + DECODE_CHUNK);
    const images = decode(part.map((f) => Int32Array.from(f.path.predictions.at(-1)!)));
    for (const [k, f] of part.entries()) {
      const r = await judge.reflect(f.meta.prompt, images[k]);
      if (says(r.pYes)) judgeAccepted++;
      // what parm-plus.ts passes on a "no"
      groups.push(group(f, says(r.pYes) ? UNSPECIFIED_REASON : (r.reason ?? "")));
    }
    await yieldToLoop();
  }
  return { groups, judgeAccepted };
}

export interface CorrectionBatchOptions {
  batch: number;
  seed: number;
  maxText: number;
  maxReason: number;
  imageTokens: number;
  condDropout: number;
  /**
   * share of rows trained without their reason: a model trained with reasons still serves
   * regenerations without one (parm++-no-reason when no model trained without reasons is
   * loaded, a reason with no word the generator knows); 0 when no row has a reason
   */
  noReason: number;
}

/** The correction rows of one step: a pure function of (seed, step). */
export function correctionBatch(groups: readonly CorrectionGroup[], vq: VQAutoencoder, o: CorrectionBatchOptions, step: number): GeneratorBatch {
  const rng = mulberry32(o.seed * 1_000_003 + step);
  const picked = Array.from({ length: o.batch }, () => groups[randInt(rng, groups.length)]);
  const renders = picked.flatMap((g, i) => (g.right.length === 0 ? [{ i, image: groundTruthImage(g.meta, o.seed, step, i, vq.config.imageSize) }] : []));
  const rendered = vq.tokenize(renders.map((r) => r.image));
  const tokens = picked.map((g) => (g.right.length > 0 ? g.right[randInt(rng, g.right.length)] : []));
  renders.forEach((r, k) => (tokens[r.i] = rendered[k]));
  return {
    text: picked.map((g) => promptIds(rng() < o.condDropout ? null : g.meta.prompt, o.maxText)),
    reason: picked.map((g) => reasonIds(rng() < o.noReason ? "" : g.reason, o.maxReason)),
    previous: picked.map((g) => g.wrong),
    tokens,
  };
}
