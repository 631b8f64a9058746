import assert from "node:assert/strict";
import { test } from "node:test";
import { readMetadataFile } from "../../src/geneval/metadata.js";
import { evaluateImage } from "../../src/geneval/rules.js";
import { COLORS, RELATIONS } from "../../src/geneval/types.js";
import { mulberry32 } from "../../src/util/prng.js";
import { sampleScene, sceneDetections } from "../../src/shapes/scene.js";
import { classWeightsKey, createTrainPromptSampler, parseClassWeights, TEST_SUITE_FILE, weightedByClass } from "../../src/shapes/train-prompts.js";
import { SHAPE_CLASSES, WORLD_VOCABULARY } from "../../src/shapes/world.js";

const suite = readMetadataFile(TEST_SUITE_FILE, { classes: SHAPE_CLASSES });

test("100,000 training prompts: never a test prompt, only the world's words, every concept covered", () => {
  const sampler = createTrainPromptSampler(suite);
  const test = new Set(suite.map((m) => m.prompt));
  const vocabulary = new Set(WORLD_VOCABULARY);
  const rng = mulberry32(2024);
  const classes = new Set<string>(), colors = new Set<string>(), numbers = new Set<number>(), relations = new Set<string>();
  const checkedWords = new Set<string>();
  for (let i = 0; i < 100_000; i++) {
    const meta = sampler.sample(rng);
    assert.ok(!test.has(meta.prompt), `test prompt returned: ${meta.prompt}`);
    if (!checkedWords.has(meta.prompt)) {
      checkedWords.add(meta.prompt);
      for (const w of meta.prompt.split(" ")) assert.ok(vocabulary.has(w), `'${w}' in '${meta.prompt}' is outside the vocabulary`);
    }
    for (const inc of meta.include) {
      classes.add(inc.class);
      numbers.add(inc.count);
      if (inc.color) colors.add(inc.color);
      if (inc.position) relations.add(inc.position[0]);
    }
  }
  assert.deepEqual([...classes].sort(), [...SHAPE_CLASSES].sort());
  assert.deepEqual([...colors].sort(), [...COLORS].sort());
  assert.deepEqual([...numbers].sort(), [1, 2, 3, 4]);
  assert.deepEqual([...relations].sort(), [...RELATIONS].sort());
});

test("every template keeps prompts, GenEval's single objects aside (the test suite holds them all)", () => {
  const { sizes } = createTrainPromptSampler(suite);
  assert.equal(sizes.single_object, undefined);
  for (const name of ["two_object", "colors", "position", "color_attr", "colored_counting", "counted_pair", "colored_position"]) {
    assert.ok(sizes[name] > 0, `${name}: ${JSON.stringify(sizes)}`);
  }
  // with no test suite held out, GenEval's own templates are there too
  assert.equal(createTrainPromptSampler([]).sizes.single_object, SHAPE_CLASSES.length);
});

test("training prompts are drawable: the scene sampler satisfies them", () => {
  const sampler = createTrainPromptSampler(suite);
  const rng = mulberry32(5);
  for (let i = 0; i < 300; i++) {
    const meta = sampler.sample(rng);
    const verdict = evaluateImage(meta, sceneDetections(sampleScene(meta, rng)));
    assert.ok(verdict.correct, `${meta.prompt}: ${verdict.reasons}`);
  }
});

test("class weights: prompts naming a heavier class are drawn more, by rejection on the same stream", () => {
  const sampler = createTrainPromptSampler(suite);
  const names = (m: { include: { class: string }[] }, cls: string) => m.include.some((i) => i.class === cls);
  const share = (s: typeof sampler, cls: string) => {
    const rng = mulberry32(7);
    let n = 0;
    for (let i = 0; i < 20_000; i++) if (names(s.sample(rng), cls)) n++;
    return n / 20_000;
  };
  const plain = share(sampler, "star");
  const heavy = weightedByClass(sampler, { star: 3 });
  const weighted = share(heavy, "star");
  // a star prompt is always kept, any other one a third of the time: odds times 3
  const odds = (p: number) => p / (1 - p);
  assert.ok(Math.abs(odds(weighted) / odds(plain) - 3) < 0.3, `star share ${plain} -> ${weighted}`);
  assert.ok(share(weightedByClass(sampler, { star: 1 }), "star") === plain, "weight 1 changes nothing");
  assert.throws(() => weightedByClass(sampler, { moon: 2 }), /class weights: no class 'moon'/);
  assert.throws(() => weightedByClass(sampler, { star: 0 }), /'star' needs a positive weight/);
  assert.deepEqual(parseClassWeights("star=2, diamond=1.5"), { star: 2, diamond: 1.5 });
  assert.throws(() => parseClassWeights("star"), /'star' is not CLASS=WEIGHT/);
  assert.throws(() => parseClassWeights("star=two"), /is not CLASS=WEIGHT/);
  assert.throws(() => parseClassWeights("star=2,star=3"), /'star' is given twice/);
  assert.equal(classWeightsKey({ star: 2, diamond: 2 }), classWeightsKey({ diamond: 2, circle: 1, star: 2 }), "order and weights of 1 aside");
  assert.equal(classWeightsKey({ star: 1 }), "");
  assert.equal(classWeightsKey(undefined), "");
});

test("class weights: a prompt weighs its heaviest class, lighter ones are kept at weight / the heaviest", () => {
  const prompt = (...classes: string[]) => ({ tag: "two_object" as const, include: classes.map((c) => ({ class: c, count: 1 })), prompt: classes.join(" and ") });
  // a sampler that hands out these prompts in turn, and a stream that always gives 0.6
  const cycle = (...ps: ReturnType<typeof prompt>[]) => {
    let i = 0;
    return { sample: () => ps[i++ % ps.length], sizes: {}, tags: [] };
  };
  let draws = 0;
  const rng = () => (draws++, 0.6);
  // weight 2 of 2: kept with no draw; a circle alone (1 of 2) needs 0.6 * 2 < 1: rejected
  assert.equal(weightedByClass(cycle(prompt("circle"), prompt("circle", "star")), { star: 2 }).sample(rng).prompt, "circle and star");
  assert.equal(draws, 1, "one draw for the rejected circle, none for the kept star");
  // weights under 1: the heaviest is 1, a circle at 0.5 needs 0.6 < 0.5 (rejected), at 0.7 it is kept
  assert.equal(weightedByClass(cycle(prompt("circle"), prompt("square")), { circle: 0.5 }).sample(rng).prompt, "square");
  assert.equal(weightedByClass(cycle(prompt("circle"), prompt("square")), { circle: 0.7 }).sample(rng).prompt, "circle");
});
