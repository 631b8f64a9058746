// How well a reflecting judge says what is wrong: on failing finals of prompts the judge never
// trained on, its reason against the one GenEval's rules give from the detector's reading of
// the same image (describeMismatch of the observed detections). Analysis only: no judge reads
// the detector at inference.
import { describeMismatch, observe, UNSPECIFIED_REASON } from "../geneval/observe.js";
import type { RGBImage } from "../shapes/image.js";
import type { Detection, PromptMeta } from "../geneval/types.js";
import { type Judge, says } from "./judge.js";

export interface FailingFinal {
  meta: PromptMeta;
  image: RGBImage;
  detections: Detection[];
}

export interface ReasonAgreement {
  finals: number;
  /** the judge's reason is the detector's, word for word */
  agreement: number;
  /** the judge also said "no" (it reflected at all) */
  said_no: number;
  by_tag: Record<string, { finals: number; agreement: number }>;
  /** a few disagreements, to read */
  examples: { prompt: string; judge: string | null; detector: string }[];
}

/** The detector's reason for a failing image: GenEval's mismatch in words, or the generic one when none names it. */
export function detectorReason(meta: PromptMeta, detections: readonly Detection[]): string {
  return describeMismatch(meta, observe(meta, detections)) ?? UNSPECIFIED_REASON;
}

export async function reasonAgreement(judge: Judge, finals: readonly FailingFinal[], keep = 12): Promise<ReasonAgreement> {
  if (!judge.reflect) throw new Error(`judge '${judge.name}' does not reflect: it gives no reasons`);
  if (finals.length === 0) throw new Error("no failing finals to compare reasons on");
  const tags = new Map<string, [number, number]>();
  const examples: ReasonAgreement["examples"] = [];
  let agree = 0;
  let no = 0;
  for (const f of finals) {
    const r = await judge.reflect(f.meta.prompt, f.image);
    const mine = detectorReason(f.meta, f.detections);
    const same = r.reason === mine;
    if (!says(r.pYes)) no++;
    if (same) agree++;
    else if (examples.length < keep) examples.push({ prompt: f.meta.prompt, judge: r.reason, detector: mine });
    const [n, a] = tags.get(f.meta.tag) ?? [0, 0];
    tags.set(f.meta.tag, [n + 1, a + (same ? 1 : 0)]);
  }
  return {
    finals: finals.length,
    agreement: agree / finals.length,
    said_no: no / finals.length,
    by_tag: Object.fromEntries([...tags].sort().map(([t, [n, a]]) => [t, { finals: n, agreement: a / n }])),
    examples,
  };
}
