// GenEval's prompt suite, by the procedure of its prompts/create_prompts.py, over any class list:
// its templates, article and plural rules, number words, tag order and de-duplication. Draws come
// from our own seeded PRNG, so the procedure is GenEval's but the random stream is not numpy's.
import { mulberry32, randInt, sampleDistinct, type Rng } from "../util/prng.js";
import { InputError } from "../util/errors.js";
import { formatMetadata } from "./metadata.js";
import { COLORS, RELATIONS, type Color, type PromptMeta, type Relation } from "./types.js";

export const NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"] as const;

/** GenEval's "a"/"an": "an" exactly when the first character is a lowercase vowel ("an umbrella", "a hot dog"). */
export function withArticle(name: string): string {
  if (name === "") throw new Error("withArticle: empty name");
  return "aeiou".includes(name[0]) ? `an ${name}` : `a ${name}`;
}

/** GenEval's plural: "es" after a final "s", else "s" (so "buses", but also "benchs", "knifes", "sheeps"). */
export function makePlural(name: string): string {
  if (name === "") throw new Error("makePlural: empty name");
  return name.endsWith("s") ? `${name}es` : `${name}s`;
}

export function numberWord(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n >= NUMBER_WORDS.length) throw new Error(`numberWord: no word for ${n} (valid: 0..10)`);
  return NUMBER_WORDS[n];
}

// One builder per tag: GenEval's metadata and prompt template for the chosen classes.

export function singleObjectPrompt(cls: string): PromptMeta {
  return { tag: "single_object", include: [{ class: cls, count: 1 }], prompt: `a photo of ${withArticle(cls)}` };
}

export function twoObjectPrompt(a: string, b: string): PromptMeta {
  return {
    tag: "two_object",
    include: [{ class: a, count: 1 }, { class: b, count: 1 }],
    prompt: `a photo of ${withArticle(a)} and ${withArticle(b)}`,
  };
}

/** "two clocks": at least `count`, and fewer than `count + 1`. */
export function countingPrompt(cls: string, count: number): PromptMeta {
  return {
    tag: "counting",
    include: [{ class: cls, count }],
    exclude: [{ class: cls, count: count + 1 }],
    prompt: `a photo of ${numberWord(count)} ${makePlural(cls)}`,
  };
}

export function colorsPrompt(cls: string, color: Color): PromptMeta {
  return { tag: "colors", include: [{ class: cls, count: 1, color }], prompt: `a photo of ${withArticle(color)} ${cls}` };
}

/** "a photo of {a} {relation} {b}": the target b is include 0, a is placed relative to it. */
export function positionPrompt(a: string, relation: Relation, b: string): PromptMeta {
  return {
    tag: "position",
    include: [{ class: b, count: 1 }, { class: a, count: 1, position: [relation, 0] }],
    prompt: `a photo of ${withArticle(a)} ${relation} ${withArticle(b)}`,
  };
}

export function colorAttrPrompt(a: string, colorA: Color, b: string, colorB: Color): PromptMeta {
  return {
    tag: "color_attr",
    include: [{ class: a, count: 1, color: colorA }, { class: b, count: 1, color: colorB }],
    prompt: `a photo of ${withArticle(colorA)} ${a} and ${withArticle(colorB)} ${b}`,
  };
}

export interface SuiteOptions {
  seed: number;
  /** Prompts drawn per tag after single_object, before de-duplication (GenEval's -n, default 100). */
  perTag?: number;
}

/** Counting draws 2..MAX_COUNT objects (GenEval's max_count=4). */
export const MAX_COUNT = 4;

function checkClasses(classes: readonly string[]): void {
  if (classes.some((c) => c.trim() === "" || c !== c.trim())) throw new InputError("class names must be non-empty, without surrounding spaces");
  const dup = classes.find((c, i) => classes.indexOf(c) !== i);
  if (dup !== undefined) throw new InputError(`class '${dup}' is listed twice`);
  if (classes.length < 2) throw new InputError(`need at least 2 classes, got ${classes.length}`);
  if (classes.filter((c) => c !== "person").length < 2) throw new InputError("need at least 2 classes other than 'person' (colour prompts never use 'person')");
}

/**
 * GenEval's suite: single_object over every class (in a random order), then perTag draws each of
 * two_object, counting, colors, position and color_attr, with exact duplicates removed (first kept).
 */
export function generateSuite(classes: readonly string[], opts: SuiteOptions): PromptMeta[] {
  const { seed, perTag = 100 } = opts;
  checkClasses(classes);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new InputError(`seed must be an integer in [0, 2^32), got ${seed}`);
  if (!Number.isInteger(perTag) || perTag < 0) throw new InputError(`prompts per tag must be a non-negative integer, got ${perTag}`);

  const rng: Rng = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[randInt(rng, xs.length)];
  const pickTwo = <T>(xs: readonly T[]): [T, T] => {
    const [i, j] = sampleDistinct(rng, xs.length, 2);
    return [xs[i], xs[j]];
  };
  // GenEval never asks for a coloured person; it skips that class in colour prompts.
  const colorable = classes.filter((c) => c !== "person");
  const repeat = (make: () => PromptMeta): PromptMeta[] => Array.from({ length: perTag }, make);

  const samples = [
    ...sampleDistinct(rng, classes.length, classes.length).map((i) => singleObjectPrompt(classes[i])),
    ...repeat(() => twoObjectPrompt(...pickTwo(classes))),
    ...repeat(() => countingPrompt(pick(classes), 2 + randInt(rng, MAX_COUNT - 1))),
    ...repeat(() => colorsPrompt(pick(colorable), pick(COLORS))),
    ...repeat(() => {
      const [a, b] = pickTwo(classes);
      return positionPrompt(a, pick(RELATIONS), b);
    }),
    ...repeat(() => {
      const [a, b] = pickTwo(colorable);
      const [ca, cb] = pickTwo(COLORS);
      return colorAttrPrompt(a, ca, b, cb);
    }),
  ];
  const seen = new Set<string>();
  return samples.filter((m) => {
    const key = formatMetadata(m);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
