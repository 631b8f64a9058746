import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { InputError } from "../../src/util/errors.js";
import { formatMetadata, metadataStats, parseMetadataJsonl } from "../../src/geneval/metadata.js";
import {
  colorAttrPrompt,
  colorsPrompt,
  countingPrompt,
  generateSuite,
  makePlural,
  numberWord,
  positionPrompt,
  singleObjectPrompt,
  twoObjectPrompt,
  withArticle,
} from "../../src/geneval/suite.js";
import type { PromptMeta } from "../../src/geneval/types.js";
import { mulberry32, sampleDistinct } from "../../src/util/prng.js";
import { METADATA_FILE, OBJECT_NAMES_FILE } from "./fixtures.js";

const coco = readFileSync(OBJECT_NAMES_FILE, "utf8").split("\n").filter((l) => l !== "");
const shapes = ["circle", "square", "triangle", "star"];

describe("article, plural and number words (GenEval's rules)", () => {
  it("uses 'an' only before a lowercase vowel", () => {
    assert.equal(withArticle("apple"), "an apple");
    assert.equal(withArticle("umbrella"), "an umbrella");
    assert.equal(withArticle("orange"), "an orange");
    assert.equal(withArticle("hot dog"), "a hot dog");
    assert.equal(withArticle("Apple"), "a Apple");
  });

  it("adds 'es' only after a final s", () => {
    assert.equal(makePlural("bus"), "buses");
    assert.equal(makePlural("skis"), "skises");
    assert.equal(makePlural("bench"), "benchs");
    assert.equal(makePlural("sheep"), "sheeps");
    assert.equal(makePlural("wine glass"), "wine glasses");
  });

  it("spells zero to ten", () => {
    assert.equal(numberWord(3), "three");
    assert.equal(numberWord(10), "ten");
    assert.throws(() => numberWord(11));
  });
});

describe("prompt builders", () => {
  it("rebuild every line of GenEval's own file from its classes, colours and relations", () => {
    const rebuild = (m: PromptMeta): PromptMeta => {
      const [a, b] = m.include;
      switch (m.tag) {
        case "single_object":
          return singleObjectPrompt(a.class);
        case "two_object":
          return twoObjectPrompt(a.class, b.class);
        case "counting":
          return countingPrompt(a.class, a.count);
        case "colors":
          return colorsPrompt(a.class, a.color ?? "red");
        case "position":
          return positionPrompt(b.class, b.position?.[0] ?? "above", a.class);
        case "color_attr":
          return colorAttrPrompt(a.class, a.color ?? "red", b.class, b.color ?? "red");
      }
    };
    const metas = parseMetadataJsonl(readFileSync(METADATA_FILE, "utf8"));
    for (const m of metas) assert.equal(formatMetadata(rebuild(m)), formatMetadata(m));
  });

  it("puts the position target first and the placed object second", () => {
    assert.deepEqual(positionPrompt("circle", "left of", "apple"), {
      tag: "position",
      include: [{ class: "apple", count: 1 }, { class: "circle", count: 1, position: ["left of", 0] }],
      prompt: "a photo of a circle left of an apple",
    });
  });
});

describe("generateSuite", () => {
  const suite = generateSuite(coco, { seed: 43 });

  it("is deterministic in its seed", () => {
    assert.deepEqual(generateSuite(coco, { seed: 43 }), suite);
    assert.notDeepEqual(generateSuite(coco, { seed: 44 }), suite);
  });

  it("has every class once as single_object, first, then the other tags in GenEval's order", () => {
    const singles = suite.filter((m) => m.tag === "single_object");
    assert.deepEqual(singles.map((m) => m.include[0].class).sort(), [...coco].sort());
    assert.deepEqual(suite.slice(0, coco.length), singles);
    const order = suite.map((m) => m.tag).filter((t, i, all) => all.indexOf(t) === i);
    assert.deepEqual(order, ["single_object", "two_object", "counting", "colors", "position", "color_attr"]);
    // single objects come in a random order, not the class list's
    assert.notDeepEqual(singles.map((m) => m.include[0].class), coco);
  });

  it("draws 100 per tag before de-duplication and keeps no duplicates", () => {
    const { by_tag } = metadataStats(suite);
    for (const tag of ["two_object", "counting", "colors", "position", "color_attr"] as const) {
      assert.ok(by_tag[tag] > 50 && by_tag[tag] <= 100, `${tag}: ${by_tag[tag]}`);
    }
    const lines = suite.map(formatMetadata);
    assert.equal(new Set(lines).size, lines.length);
    // with 4 classes duplicates are certain, and removed
    const small = generateSuite(shapes, { seed: 1 }).map(formatMetadata);
    assert.equal(new Set(small).size, small.length);
    assert.ok(small.length < shapes.length + 500);
  });

  it("counts 2 to 4 with exclude count + 1 of the same class", () => {
    const counting = suite.filter((m) => m.tag === "counting");
    for (const m of counting) {
      const n = m.include[0].count;
      assert.ok(n >= 2 && n <= 4);
      assert.deepEqual(m.exclude, [{ class: m.include[0].class, count: n + 1 }]);
      assert.equal(m.prompt, `a photo of ${numberWord(n)} ${makePlural(m.include[0].class)}`);
    }
    assert.deepEqual([...new Set(counting.map((m) => m.include[0].count))].sort(), [2, 3, 4]);
  });

  it("never colours a person, and draws distinct classes and colours where GenEval does", () => {
    for (const m of suite) {
      if (m.tag === "colors" || m.tag === "color_attr") assert.ok(m.include.every((inc) => inc.class !== "person"), m.prompt);
      if (m.tag === "two_object" || m.tag === "position" || m.tag === "color_attr") assert.notEqual(m.include[0].class, m.include[1].class);
      if (m.tag === "color_attr") assert.notEqual(m.include[0].color, m.include[1].color);
    }
    assert.ok(suite.some((m) => m.tag === "position" && m.include.some((inc) => inc.class === "person")));
  });

  it("works over any class list", () => {
    const s = generateSuite(shapes, { seed: 7, perTag: 10 });
    assert.ok(s.every((m) => m.include.every((inc) => shapes.includes(inc.class))));
    assert.deepEqual(generateSuite(shapes, { seed: 7, perTag: 0 }).map((m) => m.tag), ["single_object", "single_object", "single_object", "single_object"]);
  });

  it("refuses class lists the procedure cannot use", () => {
    assert.throws(() => generateSuite(["circle"], { seed: 1 }), InputError);
    assert.throws(() => generateSuite(["circle", "circle", "square"], { seed: 1 }), /listed twice/);
    assert.throws(() => generateSuite(["person", "circle"], { seed: 1 }), /other than 'person'/);
    assert.throws(() => generateSuite(shapes, { seed: -1 }), /seed/);
  });
});

describe("prng", () => {
  it("repeats its stream for a seed and draws distinct values", () => {
    const a = mulberry32(5);
    const b = mulberry32(5);
    const xs = Array.from({ length: 5 }, a);
    assert.deepEqual(Array.from({ length: 5 }, b), xs);
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    const d = sampleDistinct(mulberry32(1), 10, 10);
    assert.deepEqual([...d].sort((p, q) => p - q), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
