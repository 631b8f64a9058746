// How well a reflecting judge says what is wrong: on failing finals of prompts the judge never
// trained on, its reason against the one GenEval's rules give from the detector's reading of
// the same image (describeMismatch of the observed detections). Analysis only: no judge reads
// the detector at inference.
import { CLAUSE_SEPARATOR, type Observation, describeMismatch, observe, UNSPECIFIED_REASON } from "../geneval/observe.js";
import type { RGBImage } from "../shapes/image.js";
import type { Detection, PromptMeta } from "../geneval/types.js";
import { byTag } from "../util/by-tag.js";
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
  /**
   * a looser reading, beside the word-for-word one: every clause of the judge's reason is one of
   * the detector's (it names a true failure and nothing false, but may leave one out)
   */
  sound: { agreement: number; by_tag: Record<string, number> };
  /** a few disagreements, to read */
  examples: { prompt: string; judge: string | null; detector: string }[];
  /** where the judge's own reading is given: how often it counts every named object as the detector does (a count reason needs that) */
  count_readings?: { agreement: number; by_tag: Record<string, number> };
}

/** Share of `pairs` whose flag is set, overall and per tag. */
export function shares(pairs: readonly { tag: string; ok: boolean }[]): { agreement: number; by_tag: Record<string, { finals: number; agreement: number }> } {
  const share = (xs: readonly { ok: boolean }[]) => xs.filter((p) => p.ok).length / xs.length;
  return { agreement: share(pairs), by_tag: byTag(pairs, (xs) => ({ finals: xs.length, agreement: share(xs) })) };
}

const clauses = (reason: string) => reason.split(CLAUSE_SEPARATOR);

const agreements = (by: Record<string, { agreement: number }>) => Object.fromEntries(Object.entries(by).map(([t, x]) => [t, x.agreement]));

/** Every clause of `judge`'s reason is one of `detector`'s. */
export function soundReason(judge: string | null, detector: string): boolean {
  if (judge === null) return false;
  const truth = new Set(clauses(detector));
  return clauses(judge).every((c) => truth.has(c));
}

/** The detector's reason for a failing image: GenEval's mismatch in words, or the generic one when none names it. */
export function detectorReason(meta: PromptMeta, detections: readonly Detection[]): string {
  return describeMismatch(meta, observe(meta, detections)) ?? UNSPECIFIED_REASON;
}

/**
 * `read`, where the judge exposes it (EmbeddedJudge.read), is its reading of the prompt's
 * objects: the counts are then compared with the detector's too, which says how much of a
 * disagreement is the judge's counting.
 */
export async function reasonAgreement(
  judge: Judge,
  finals: readonly FailingFinal[],
  o: { keep?: number; read?: (items: readonly { meta: PromptMeta; image: RGBImage }[]) => Observation[] } = {},
): Promise<ReasonAgreement> {
  if (!judge.reflect) throw new Error(`judge '${judge.name}' does not reflect: it gives no reasons`);
  if (finals.length === 0) throw new Error("no failing finals to compare reasons on");
  const keep = o.keep ?? 12;
  const reasons: { tag: string; ok: boolean }[] = [];
  const sound: { tag: string; ok: boolean }[] = [];
  const counts: { tag: string; ok: boolean }[] = [];
  const examples: ReasonAgreement["examples"] = [];
  let no = 0;
  for (const f of finals) {
    const r = await judge.reflect(f.meta.prompt, f.image);
    const mine = detectorReason(f.meta, f.detections);
    const same = r.reason === mine;
    if (!says(r.pYes)) no++;
    if (!same && examples.length < keep) examples.push({ prompt: f.meta.prompt, judge: r.reason, detector: mine });
    reasons.push({ tag: f.meta.tag, ok: same });
    sound.push({ tag: f.meta.tag, ok: soundReason(r.reason, mine) });
  }
  const read = o.read?.(finals);
  read?.forEach((r, i) => counts.push({ tag: finals[i].meta.tag, ok: r.counts.join() === observe(finals[i].meta, finals[i].detections).counts.join() }));
  const byReason = shares(reasons);
  const bySound = shares(sound);
  const byCount = read ? shares(counts) : null;
  return {
    finals: finals.length,
    agreement: byReason.agreement,
    said_no: no / finals.length,
    by_tag: byReason.by_tag,
    sound: { agreement: bySound.agreement, by_tag: agreements(bySound.by_tag) },
    examples,
    ...(byCount && { count_readings: { agreement: byCount.agreement, by_tag: agreements(byCount.by_tag) } }),
  };
}
