// GenEval's scoring of one image, as evaluation/evaluate_images.py (evaluate_image + evaluate)
// with its default options; the colour of an object is the Detection's, where GenEval asks CLIP.
import { COLORS, RELATIONS, type Box, type Detection, type PromptMeta, type Relation, type Tag } from "./types.js";

/** Detections kept: confidence strictly above this (GenEval's --options threshold). */
export const THRESHOLD = 0.3;
/** The same for counting prompts (counting_threshold). */
export const COUNTING_THRESHOLD = 0.9;
/** At most this many detections per class, the most confident (max_objects). */
export const MAX_OBJECTS = 16;
/** Each axis offset shrinks by this times the two objects' summed size (position_threshold). */
export const POSITION_THRESHOLD = 0.1;
// GenEval's max_overlap defaults to 1.0, which disables its NMS; so there is none here.

export interface Verdict {
  correct: boolean;
  /** One line per failed check, in GenEval's wording (GenEval joins them with "\n"). */
  reasons: string[];
}

/** Per class, the detections GenEval keeps: above threshold, most confident first, at most 16. */
export function keptDetections(detections: readonly Detection[], tag: Tag): Map<string, Detection[]> {
  const threshold = tag === "counting" ? COUNTING_THRESHOLD : THRESHOLD;
  const byClass = new Map<string, Detection[]>();
  for (const d of detections) {
    if (!(d.confidence > threshold)) continue;
    const list = byClass.get(d.class);
    if (list) list.push(d);
    else byClass.set(d.class, [d]);
  }
  // GenEval: np.argsort(conf)[::-1]. numpy sorts small arrays (<= 16) by insertion, stably, so after
  // the reversal equal confidences come in reverse detector order: the later detection first.
  for (const [cls, list] of byClass) {
    const order = list.map((d, i) => ({ d, i })).sort((x, y) => y.d.confidence - x.d.confidence || y.i - x.i);
    byClass.set(cls, order.map((x) => x.d).slice(0, MAX_OBJECTS));
  }
  return byClass;
}

/**
 * Where box A lies relative to box B: offsets between centres, each shrunk towards 0 by
 * 0.1 * (summed sizes on that axis); nothing left -> no relation; otherwise the shrunk offset
 * over the length of the original one, beyond 0.5 on an axis. y grows downwards. Relations in
 * RELATIONS order (GenEval returns a set).
 */
export function relativePosition(a: Box, b: Box): Relation[] {
  const offset = [(a[0] + a[2]) / 2 - (b[0] + b[2]) / 2, (a[1] + a[3]) / 2 - (b[1] + b[3]) / 2];
  const dims = [Math.abs(a[2] - a[0]) + Math.abs(b[2] - b[0]), Math.abs(a[3] - a[1]) + Math.abs(b[3] - b[1])];
  const revised = offset.map((o, i) => Math.max(Math.abs(o) - POSITION_THRESHOLD * dims[i], 0) * Math.sign(o));
  if (revised.every((r) => Math.abs(r) < 1e-3)) return [];
  // np.linalg.norm: sqrt(x*x + y*y); Math.hypot differs from it by an ulp often enough to flip a verdict at exactly 0.5
  const norm = Math.sqrt(offset[0] * offset[0] + offset[1] * offset[1]);
  const [dx, dy] = [revised[0] / norm, revised[1] / norm];
  const holds: Record<Relation, boolean> = { "left of": dx < -0.5, "right of": dx > 0.5, above: dy < -0.5, below: dy > 0.5 };
  return RELATIONS.filter((r) => holds[r]);
}

/** GenEval's verdict on one image from its detections (any order, any classes). */
export function evaluateImage(meta: PromptMeta, detections: readonly Detection[]): Verdict {
  const objects = keptDetections(detections, meta.tag);
  const reasons: string[] = [];
  // Per include, the objects that satisfied it, or null: position targets are looked up here.
  const matchedGroups: (Detection[] | null)[] = [];

  meta.include.forEach((req, i) => {
    const found = (objects.get(req.class) ?? []).slice(0, req.count);
    let matched = true;
    if (found.length < req.count) {
      matched = false;
      reasons.push(`expected ${req.class}>=${req.count}, found ${found.length}`);
    } else {
      if (req.color !== undefined && found.some((d) => d.color === undefined)) {
        matched = false;
        reasons.push(`expected ${req.color} ${req.class}>=${req.count}, but the detections carry no colour to check`);
      } else if (req.color !== undefined) {
        // Only the `count` most confident objects are checked: a less confident one cannot rescue the image.
        const colors = found.map((d) => d.color);
        const k = colors.filter((c) => c === req.color).length;
        if (k < req.count) {
          matched = false;
          const present = COLORS.filter((c) => colors.includes(c)).map((c) => `${colors.filter((x) => x === c).length} ${c}`);
          reasons.push(`expected ${req.color} ${req.class}>=${req.count}, found ${k} ${req.color}; and ${present.join(", ")}`);
        }
      }
      if (req.position !== undefined && matched) {
        const [rel, group] = req.position;
        if (!Number.isInteger(group) || group < 0 || group >= i) throw new Error(`include[${i}]: position group ${group} is not an earlier include`);
        const targets = matchedGroups[group];
        if (targets === null) {
          matched = false;
          reasons.push(`no target for ${req.class} to be ${rel}`);
        } else {
          // Every object against every target; the first pair that fails gives the one reason.
          outer: for (const obj of found) {
            for (const target of targets) {
              const rels = relativePosition(obj.box, target.box);
              if (!rels.includes(rel)) {
                matched = false;
                reasons.push(`expected ${req.class} ${rel} target, found ${rels.join(" and ")} target`);
                break outer;
              }
            }
          }
        }
      }
    }
    matchedGroups.push(matched ? found : null);
  });

  for (const req of meta.exclude ?? []) {
    const n = objects.get(req.class)?.length ?? 0;
    if (n >= req.count) reasons.push(`expected ${req.class}<${req.count}, found ${n}`);
  }
  return { correct: reasons.length === 0, reasons };
}
