// What a reflecting judge reports about an image, and how it becomes a reason in GenEval's
// style. An observation is relative to the prompt's objects, in the order the prompt mentions
// them: how many of each class, the colour of the most confident one, and where the first
// object lies relative to the second. Detections make the training targets (training prompts
// only); at inference the judge predicts the observation from pixels and never sees them.
import { keptDetections, relativePosition } from "./rules.js";
import { makePlural, numberWord, withArticle } from "./suite.js";
import { COLORS, RELATIONS, type Color, type Detection, type Include, type PromptMeta, type Relation, type Tag } from "./types.js";

/** The reason given when an image fails but no named object's count, colour or place explains it. */
export const UNSPECIFIED_REASON = "the image does not match the prompt";

/** Counts are observed as 0..MAX_OBSERVED_COUNT (the last one meaning "that many or more"). */
export const MAX_OBSERVED_COUNT = 5;
/** Colour classes: the ten colours, then "none seen". */
export const NO_COLOR = COLORS.length;

export interface Observation {
  /** per mentioned object (at most 2): how many of its class */
  counts: number[];
  /** per mentioned object: colour index of the most confident one, NO_COLOR when none */
  colors: number[];
  /** where the first mentioned object lies relative to the second (RELATIONS order), when both are seen */
  relations: boolean[] | null;
}

/** The include indices in the order the prompt mentions them (position prompts name the target last). */
export function mentionOrder(meta: PromptMeta): number[] {
  return meta.include.length === 2 && meta.include[1].position ? [1, 0] : meta.include.map((_, i) => i);
}

/** How many of a class were kept (capped), and the colour of the most confident one. */
const countOf = (found: readonly Detection[]) => Math.min(found.length, MAX_OBSERVED_COUNT);
const colorOf = (found: readonly Detection[]) => (found.length > 0 && found[0].color !== undefined ? COLORS.indexOf(found[0].color) : NO_COLOR);

/** The observation GenEval's own reading of these detections would give (its thresholds apply). */
export function observe(meta: PromptMeta, detections: readonly Detection[]): Observation {
  const kept = keptDetections(detections, meta.tag);
  const found = mentionOrder(meta).map((i) => kept.get(meta.include[i].class) ?? []);
  return {
    counts: found.map(countOf),
    colors: found.map(colorOf),
    relations: found.length === 2 && found[0].length > 0 && found[1].length > 0 ? ((r) => RELATIONS.map((x) => r.includes(x)))(relativePosition(found[0][0].box, found[1][0].box)) : null,
  };
}

/** The same reading for every class of a world, mentioned or not: what a rules judge's class tokens learn. */
export function observeScene(classes: readonly string[], tag: Tag, detections: readonly Detection[]): { counts: number[]; colors: number[] } {
  const kept = keptDetections(detections, tag);
  const found = classes.map((c) => kept.get(c) ?? []);
  return { counts: found.map(countOf), colors: found.map(colorOf) };
}

/** "a red circle", "two circles": the colour is explicit, so "none seen" never turns into the asked one. */
function phrase(req: Include, count: number, color: Color | undefined): string {
  const noun = `${color ? `${color} ` : ""}${count === 1 ? req.class : makePlural(req.class)}`;
  return count === 1 ? withArticle(noun) : `${numberWord(count)} ${noun}`;
}

/** Whether `have` of the object `req` fails the prompt: too few, or as many as an exclude forbids (the last count meaning "that many or more"). */
export function countFails(meta: PromptMeta, req: Include, have: number): boolean {
  return have < req.count || (meta.exclude ?? []).some((e) => e.class === req.class && have >= e.count);
}

/** Between the clauses of a reason that names more than one failure. */
export const CLAUSE_SEPARATOR = " ; ";

/**
 * What is wrong, in GenEval's terms but in words the generator reads ("expected two circles ,
 * found three"; "the star is above the square , not below"); null when the observation
 * satisfies the prompt.
 */
export function describeMismatch(meta: PromptMeta, obs: Observation): string | null {
  const order = mentionOrder(meta);
  const reasons: string[] = [];
  order.forEach((inc, slot) => {
    const req = meta.include[inc];
    const have = obs.counts[slot];
    if (countFails(meta, req, have)) {
      reasons.push(`expected ${phrase(req, req.count, req.color)} , found ${numberWord(have)}`);
    } else if (req.color && obs.colors[slot] !== COLORS.indexOf(req.color)) {
      const seen = obs.colors[slot] === NO_COLOR ? undefined : (COLORS[obs.colors[slot]] as Color);
      reasons.push(`expected ${phrase(req, 1, req.color)} , found ${phrase(req, 1, seen)}`);
    }
  });
  const rel = meta.include[order[0]]?.position?.[0];
  if (rel && reasons.length === 0 && obs.relations && !obs.relations[RELATIONS.indexOf(rel)]) {
    const [a, b] = order.map((i) => meta.include[i].class);
    const actual = RELATIONS.filter((_, k) => obs.relations![k]);
    reasons.push(actual.length > 0 ? `the ${a} is ${actual[0]} the ${b} , not ${rel}` : `the ${a} is not ${rel} the ${b}`);
  }
  return reasons.length > 0 ? reasons.join(CLAUSE_SEPARATOR) : null;
}

const RELATION_WORDS = RELATIONS.join("|");
const NUMBERS = ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];
const NUMBER_PATTERN = NUMBERS.join("|");
const COLOR_PATTERN = COLORS.join("|");
const OBJECT = new RegExp(`^(?:(an?)|(${NUMBER_PATTERN})) (?:(${COLOR_PATTERN}) )?([a-z]+)$`);

function parseObject(text: string, prompt: string): Include {
  const m = OBJECT.exec(text);
  if (!m) throw new Error(`cannot read "${text}" in prompt "${prompt}" as an object ("a red circle", "two squares")`);
  const count = m[1] ? 1 : NUMBERS.indexOf(m[2]) + 2;
  // GenEval's plural adds "es" after a final "s" ("crosses"), else "s"
  const singular = count === 1 ? m[4] : m[4].endsWith("ses") ? m[4].slice(0, -2) : m[4].replace(/s$/, "");
  return { class: singular, count, ...(m[3] ? { color: m[3] as Color } : {}) };
}

/**
 * The metadata of a prompt made by GenEval's templates (or the training templates built on
 * them): "a photo of OBJ", "OBJ and OBJ", "OBJ RELATION OBJ". A reflecting judge needs it to
 * know what to look for; it reads only the text.
 */
export function parsePrompt(prompt: string): PromptMeta {
  const body = /^a photo of (.+)$/.exec(prompt.trim())?.[1];
  if (!body) throw new Error(`prompt "${prompt}" does not start with "a photo of"`);
  const rel = new RegExp(`^(.+) (${RELATION_WORDS}) (.+)$`).exec(body);
  if (rel) {
    const [a, b] = [parseObject(rel[1], prompt), parseObject(rel[3], prompt)];
    return { tag: "position", include: [b, { ...a, position: [rel[2] as Relation, 0] }], prompt };
  }
  const parts = body.split(" and ").map((t) => parseObject(t, prompt));
  if (parts.length > 2) throw new Error(`prompt "${prompt}" names more than two objects`);
  const exclude = parts.filter((p) => p.count >= 2).map((p) => ({ class: p.class, count: p.count + 1 }));
  const counting = exclude.length > 0;
  const colored = parts.some((p) => p.color);
  const tag = counting ? "counting" : parts.length === 2 ? (colored ? "color_attr" : "two_object") : colored ? "colors" : "single_object";
  return { tag, include: parts, ...(counting ? { exclude } : {}), prompt };
}
