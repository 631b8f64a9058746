// Training prompts for the shapes world: GenEval's six templates plus compositional ones in the
// same metadata format (counts with colours, counted pairs, coloured relations), so that with
// every test prompt held out a generator still meets each class, number, colour and relation.
// A prompt string of the test suite is never returned: the pools are built without them.
// A tenth of the remaining strings of every template with enough of them is held out of
// training: the "heldout" split, on which hyper-parameters and model sizes are chosen.
import { InputError } from "../util/errors.js";
import { fromRoot } from "../util/root.js";
import {
  colorAttrPrompt,
  colorsPrompt,
  countingPrompt,
  makePlural,
  MAX_COUNT,
  numberWord,
  positionPrompt,
  singleObjectPrompt,
  twoObjectPrompt,
  withArticle,
} from "../geneval/suite.js";
import { COLORS, RELATIONS, type Color, type Include, type PromptMeta } from "../geneval/types.js";
import { fnv1a, randInt, type Rng } from "../util/prng.js";
import { SHAPE_CLASSES } from "./world.js";

/**
 * The committed test suite (repository root / suites), never to be trained on. Made by GenEval's
 * procedure over SHAPE_CLASSES: `imagecot geneval suite --classes
 * circle,square,triangle,star,cross,ring,heart,diamond --seed 1 --out suites/geneval-shapes.jsonl`
 */
export const TEST_SUITE_FILE = fromRoot("suites", "geneval-shapes.jsonl");

const pairs = SHAPE_CLASSES.flatMap((a) => SHAPE_CLASSES.filter((b) => b !== a).map((b): [string, string] => [a, b]));
const counts = Array.from({ length: MAX_COUNT - 1 }, (_, i) => i + 2);

/** "a red circle", "two circles", "three red circles". */
function phrase(cls: string, count: number, color?: Color): string {
  const noun = color ? `${color} ${count === 1 ? cls : makePlural(cls)}` : count === 1 ? cls : makePlural(cls);
  return count === 1 ? withArticle(noun) : `${numberWord(count)} ${noun}`;
}

/** "two red circles": counting with a colour (tag counting: GenEval's 0.9 threshold applies). */
function coloredCountingPrompt(cls: string, count: number, color: Color): PromptMeta {
  return {
    tag: "counting",
    include: [{ class: cls, count, color }],
    exclude: [{ class: cls, count: count + 1 }],
    prompt: `a photo of ${phrase(cls, count, color)}`,
  };
}

/** "two circles and a square": counted classes are capped as in GenEval's counting. */
function countedPairPrompt(a: string, na: number, b: string, nb: number): PromptMeta {
  const include: Include[] = [{ class: a, count: na }, { class: b, count: nb }];
  return {
    tag: "counting",
    include,
    exclude: include.filter((i) => i.count >= 2).map((i) => ({ class: i.class, count: i.count + 1 })),
    prompt: `a photo of ${phrase(a, na)} and ${phrase(b, nb)}`,
  };
}

/** "a red circle left of a blue square". */
function coloredPositionPrompt(a: string, ca: Color, rel: (typeof RELATIONS)[number], b: string, cb: Color): PromptMeta {
  return {
    tag: "position",
    include: [{ class: b, count: 1, color: cb }, { class: a, count: 1, color: ca, position: [rel, 0] }],
    prompt: `a photo of ${phrase(a, 1, ca)} ${rel} ${phrase(b, 1, cb)}`,
  };
}

const colorPairs = COLORS.flatMap((a) => COLORS.filter((b) => b !== a).map((b): [Color, Color] => [a, b]));

/** Every prompt of each template over the world, GenEval's six first. */
const TEMPLATES: Record<string, () => PromptMeta[]> = {
  single_object: () => SHAPE_CLASSES.map(singleObjectPrompt),
  two_object: () => pairs.map(([a, b]) => twoObjectPrompt(a, b)),
  counting: () => SHAPE_CLASSES.flatMap((c) => counts.map((n) => countingPrompt(c, n))),
  colors: () => SHAPE_CLASSES.flatMap((c) => COLORS.map((k) => colorsPrompt(c, k))),
  position: () => pairs.flatMap(([a, b]) => RELATIONS.map((r) => positionPrompt(a, r, b))),
  color_attr: () => pairs.flatMap(([a, b]) => colorPairs.map(([ca, cb]) => colorAttrPrompt(a, ca, b, cb))),
  colored_counting: () => SHAPE_CLASSES.flatMap((c) => counts.flatMap((n) => COLORS.map((k) => coloredCountingPrompt(c, n, k)))),
  // at most MAX_COUNT objects in all, so every scene still fits at a readable size
  counted_pair: () =>
    pairs.flatMap(([a, b]) =>
      counts.flatMap((na) => [1, ...counts].filter((nb) => na + nb <= MAX_COUNT).map((nb) => countedPairPrompt(a, na, b, nb))),
    ),
  colored_position: () =>
    pairs.flatMap(([a, b]) => RELATIONS.flatMap((r) => colorPairs.map(([ca, cb]) => coloredPositionPrompt(a, ca, r, b, cb)))),
};

/** Which training prompts: those trained on, or the held-out tenth that tunes and validates. */
export type PromptSplit = "train" | "heldout";

/** Held out (by a stable hash of the string, so the split never depends on order or platform): one string in ten, in templates of at least 20 strings (smaller ones are all trained on). */
export function isHeldOut(prompt: string, poolSize: number): boolean {
  return poolSize >= 20 && fnv1a(prompt) % 10 === 0;
}

export interface TrainPromptSampler {
  /** One training prompt: a template drawn uniformly among those with prompts left, then one of its prompts. */
  sample(rng: Rng): PromptMeta;
  /** Prompts left per template after the test suite's are removed. */
  sizes: Record<string, number>;
  /** The GenEval tags its prompts have (single_object has none: every such prompt is a test prompt). */
  tags: string[];
}

/** Relative weights of the shape classes a prompt names (a class not listed weighs 1). */
export type ClassWeights = Readonly<Record<string, number>>;

/**
 * The sampler's prompts reweighted by the classes they name: a prompt weighs its heaviest class's
 * weight, and is kept with probability weight / the heaviest weight (rejection on the same
 * stream, so the draw stays a pure function of the seed). To train more on the classes a
 * generator draws worst, read from the held-out object rate per class.
 */
export function weightedByClass(sampler: TrainPromptSampler, weights: ClassWeights): TrainPromptSampler {
  checkClassWeights(weights);
  const weightOf = (m: PromptMeta) => Math.max(...m.include.map((i) => weights[i.class] ?? 1));
  const most = Math.max(1, ...Object.values(weights));
  return {
    ...sampler,
    sample(rng) {
      for (;;) {
        const m = sampler.sample(rng);
        const w = weightOf(m);
        if (w >= most || rng() * most < w) return m; // the heaviest drawn without a draw: weights of 1 leave the stream as it was
      }
    },
  };
}

/** Throws unless every class is the world's and every weight positive and finite. */
function checkClassWeights(weights: ClassWeights): void {
  for (const [cls, w] of Object.entries(weights)) {
    if (!(SHAPE_CLASSES as readonly string[]).includes(cls)) throw new InputError(`class weights: no class '${cls}' (the classes: ${SHAPE_CLASSES.join(", ")})`);
    if (!(w > 0) || !Number.isFinite(w)) throw new InputError(`class weights: '${cls}' needs a positive weight, not ${w}`);
  }
}

/** "star=2,diamond=2" as class weights, checked as weightedByClass checks them. */
export function parseClassWeights(text: string): ClassWeights {
  const weights: Record<string, number> = {};
  for (const part of text.split(",")) {
    const [cls, w, extra] = part.split("=");
    if (!cls || w === undefined || extra !== undefined || w.trim() === "" || Number.isNaN(Number(w))) throw new InputError(`class weights: '${part}' is not CLASS=WEIGHT`);
    if (cls.trim() in weights) throw new InputError(`class weights: '${cls.trim()}' is given twice`);
    weights[cls.trim()] = Number(w);
  }
  checkClassWeights(weights);
  return weights;
}

/** The weights as a run records them: sorted, weights of 1 left out ("" for none), so that runs drawing the same prompts agree. */
export function classWeightsKey(weights: ClassWeights | undefined): string {
  const kept = Object.entries(weights ?? {})
    .filter(([, w]) => w !== 1)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return kept.length > 0 ? JSON.stringify(Object.fromEntries(kept)) : "";
}

/**
 * A sampler over every template's prompts of the split, never one whose string is in `testSuite`;
 * with `tag`, over the templates of that GenEval tag only (each template's prompts share one).
 */
export function createTrainPromptSampler(testSuite: readonly PromptMeta[], split: PromptSplit = "train", tag?: string): TrainPromptSampler {
  const test = new Set(testSuite.map((m) => m.prompt));
  const pools = Object.entries(TEMPLATES)
    .map(([name, all]) => {
      const pool = all().filter((m) => !test.has(m.prompt));
      return [name, pool.filter((m) => isHeldOut(m.prompt, pool.length) === (split === "heldout"))] as const;
    })
    .filter(([, pool]) => pool.length > 0 && (tag === undefined || pool[0].tag === tag));
  if (pools.length === 0) throw new Error(`no training prompts of tag '${tag}' in the ${split} split`);
  return {
    sample(rng) {
      const [, pool] = pools[randInt(rng, pools.length)];
      return pool[randInt(rng, pool.length)];
    },
    sizes: Object.fromEntries(pools.map(([name, pool]) => [name, pool.length])),
    tags: [...new Set(pools.map(([, pool]) => pool[0].tag))].sort(),
  };
}
