import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluateImage, keptDetections, MAX_OBJECTS, relativePosition } from "../../src/geneval/rules.js";
import { colorAttrPrompt, colorsPrompt, countingPrompt, positionPrompt, singleObjectPrompt, twoObjectPrompt } from "../../src/geneval/suite.js";
import type { Box, PromptMeta } from "../../src/geneval/types.js";
import { det } from "./fixtures.js";

const A: Box = [0, 0, 10, 10];
const leftOf = (b: Box, dx: number): Box => [b[0] + dx, b[1], b[2] + dx, b[3]];

describe("include counts", () => {
  it("fails a missing object with GenEval's reason", () => {
    assert.deepEqual(evaluateImage(singleObjectPrompt("circle"), []), { correct: false, reasons: ["expected circle>=1, found 0"] });
  });

  it("passes a present object, whatever else is there", () => {
    const v = evaluateImage(singleObjectPrompt("circle"), [det("circle", A), det("square", leftOf(A, 50))]);
    assert.deepEqual(v, { correct: true, reasons: [] });
  });

  it("names each missing object of two", () => {
    const v = evaluateImage(twoObjectPrompt("circle", "square"), [det("circle", A)]);
    assert.deepEqual(v.reasons, ["expected square>=1, found 0"]);
    assert.equal(v.correct, false);
  });

  it("counts only up to the requirement in the found number", () => {
    const v = evaluateImage(countingPrompt("circle", 4), [det("circle", A), det("circle", leftOf(A, 20))]);
    assert.deepEqual(v.reasons, ["expected circle>=4, found 2"]);
  });
});

describe("confidence thresholds", () => {
  it("drops detections at exactly 0.3 (GenEval keeps > threshold)", () => {
    assert.deepEqual(evaluateImage(singleObjectPrompt("circle"), [det("circle", A, 0.3)]).reasons, ["expected circle>=1, found 0"]);
    assert.equal(evaluateImage(singleObjectPrompt("circle"), [det("circle", A, 0.30001)]).correct, true);
  });

  it("uses 0.9 for counting prompts, exclusive", () => {
    const two = countingPrompt("circle", 2);
    const at = (c: number) => [det("circle", A, 0.95), det("circle", leftOf(A, 20), c)];
    assert.deepEqual(evaluateImage(two, at(0.9)).reasons, ["expected circle>=2, found 1"]);
    assert.deepEqual(evaluateImage(two, at(0.85)).reasons, ["expected circle>=2, found 1"]);
    assert.equal(evaluateImage(two, at(0.91)).correct, true);
  });

  it("keeps 0.85 for other tags", () => {
    assert.equal(evaluateImage(twoObjectPrompt("circle", "square"), [det("circle", A, 0.85), det("square", leftOf(A, 20), 0.85)]).correct, true);
  });

  it("does not count an extra object below the counting threshold against the exclude", () => {
    const dets = [det("circle", A), det("circle", leftOf(A, 20)), det("circle", leftOf(A, 40), 0.9)];
    assert.deepEqual(evaluateImage(countingPrompt("circle", 2), dets), { correct: true, reasons: [] });
  });
});

describe("excludes", () => {
  it("fails two circles when three are detected", () => {
    const dets = [det("circle", A), det("circle", leftOf(A, 20)), det("circle", leftOf(A, 40))];
    assert.deepEqual(evaluateImage(countingPrompt("circle", 2), dets), { correct: false, reasons: ["expected circle<3, found 3"] });
  });

  it("reports both a short include and an exclude of another class", () => {
    const meta: PromptMeta = { tag: "counting", include: [{ class: "circle", count: 2 }], exclude: [{ class: "square", count: 1 }], prompt: "x" };
    const v = evaluateImage(meta, [det("square", A)]);
    assert.deepEqual(v.reasons, ["expected circle>=2, found 0", "expected square<1, found 1"]);
  });
});

describe("the per-class cap", () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => det("circle", leftOf(A, 20 * i), 0.5 + i / 100));

  it("keeps the 16 most confident, in descending confidence", () => {
    const kept = keptDetections(many(20), "single_object").get("circle") ?? [];
    assert.equal(MAX_OBJECTS, 16);
    assert.equal(kept.length, 16);
    assert.deepEqual(kept.map((d) => d.confidence), many(20).map((d) => d.confidence).sort((a, b) => b - a).slice(0, 16));
  });

  it("caps include and exclude counts at 16", () => {
    const dets = many(20).map((d) => ({ ...d, confidence: 0.95 }));
    const meta: PromptMeta = { tag: "counting", include: [{ class: "circle", count: 17 }], exclude: [{ class: "circle", count: 17 }], prompt: "x" };
    assert.deepEqual(evaluateImage(meta, dets).reasons, ["expected circle>=17, found 16"]);
  });
});

describe("colour", () => {
  it("checks the most confident object: a less confident one of the right colour does not rescue it", () => {
    const dets = [det("circle", A, 0.8, "red"), det("circle", leftOf(A, 20), 0.9, "blue")];
    assert.deepEqual(evaluateImage(colorsPrompt("circle", "red"), dets), {
      correct: false,
      reasons: ["expected red circle>=1, found 0 red; and 1 blue"],
    });
  });

  it("passes when the most confident object has the colour", () => {
    const dets = [det("circle", A, 0.9, "red"), det("circle", leftOf(A, 20), 0.8, "blue")];
    assert.equal(evaluateImage(colorsPrompt("circle", "red"), dets).correct, true);
  });

  it("lists the colours present in GenEval's colour order, with counts", () => {
    const meta: PromptMeta = { tag: "colors", include: [{ class: "circle", count: 3, color: "red" }], prompt: "x" };
    const dets = [det("circle", A, 0.9, "white"), det("circle", leftOf(A, 20), 0.8, "red"), det("circle", leftOf(A, 40), 0.7, "white")];
    assert.deepEqual(evaluateImage(meta, dets).reasons, ["expected red circle>=3, found 1 red; and 1 red, 2 white"]);
  });

  it("checks each attribute of color_attr on its own", () => {
    const meta = colorAttrPrompt("circle", "red", "square", "blue");
    const v = evaluateImage(meta, [det("circle", A, 0.9, "blue"), det("square", leftOf(A, 30), 0.9, "red")]);
    assert.deepEqual(v.reasons, ["expected red circle>=1, found 0 red; and 1 blue", "expected blue square>=1, found 0 blue; and 1 red"]);
  });
});

describe("relativePosition", () => {
  it("sees left of and right of from centres", () => {
    assert.deepEqual(relativePosition(A, leftOf(A, 50)), ["left of"]);
    assert.deepEqual(relativePosition(leftOf(A, 50), A), ["right of"]);
  });

  it("has y growing downwards: smaller y is above", () => {
    const lower: Box = [0, 50, 10, 60];
    assert.deepEqual(relativePosition(A, lower), ["above"]);
    assert.deepEqual(relativePosition(lower, A), ["below"]);
  });

  it("gives no relation when the shrink leaves nothing (overlapping objects)", () => {
    // offset (-10, -10), shrink 0.1 * (100 + 100) = 20 on each axis
    assert.deepEqual(relativePosition([0, 0, 100, 100], [10, 10, 110, 110]), []);
    assert.deepEqual(relativePosition(A, A), []);
  });

  it("gives both relations on a clear diagonal", () => {
    // offset (-100, -100), shrunk to -99.6 each: 99.6 / 141.4 = 0.70 > 0.5
    assert.deepEqual(relativePosition([0, 0, 2, 2], [100, 100, 102, 102]), ["left of", "above"]);
    assert.deepEqual(relativePosition([100, 100, 102, 102], [0, 0, 2, 2]), ["right of", "below"]);
  });

  it("gives neither on a diagonal shrunk below half the original offset", () => {
    // centres (20,20) and (30,30): offset (-10,-10), shrink 8 -> (-2,-2); 2 / 14.1 = 0.14
    assert.deepEqual(relativePosition([0, 0, 40, 40], [10, 10, 50, 50]), []);
  });

  it("divides by the original offset, not the shrunk one", () => {
    // offset (-30, 0), dims 2 * 100 -> shrink 20: revised -10, / 30 = -0.33: not left of.
    // (Normalising the shrunk offset would give -1.)
    assert.deepEqual(relativePosition([0, 0, 100, 10], [30, 0, 130, 10]), []);
    // offset (-60, 0): revised -40 / 60 = -0.67: left of
    assert.deepEqual(relativePosition([0, 0, 100, 10], [60, 0, 160, 10]), ["left of"]);
  });

  it("ignores a shrunk offset under 1e-3 on both axes", () => {
    // offset (-2.0005, 0), shrink 0.1 * 20 = 2 -> 0.0005
    assert.deepEqual(relativePosition([0, 0, 10, 10], [2.0005, 0, 12.0005, 10]), []);
    // 0.002 left: divided by the original 2.002 it is ~0.001, under 0.5: still none, but past the early exit
    assert.deepEqual(relativePosition([0, 0, 10, 10], [2.002, 0, 12.002, 10]), []);
  });

  it("decides the axis from the direction of the offset", () => {
    // mostly horizontal: offset (-100, -40) on point-like boxes: dx = -0.93, dy = -0.37
    assert.deepEqual(relativePosition([0, 40, 0, 40], [100, 80, 100, 80]), ["left of"]);
  });
});

describe("position", () => {
  const square: Box = [50, 0, 60, 10];

  it("passes when the object is where the prompt says", () => {
    assert.deepEqual(evaluateImage(positionPrompt("circle", "left of", "square"), [det("circle", A), det("square", square)]), { correct: true, reasons: [] });
  });

  it("names the relations found", () => {
    const v = evaluateImage(positionPrompt("circle", "left of", "square"), [det("circle", [100, 50, 110, 60]), det("square", square)]);
    assert.deepEqual(v.reasons, ["expected circle left of target, found right of and below target"]);
  });

  it("writes an empty relation as GenEval does (two spaces)", () => {
    const v = evaluateImage(positionPrompt("circle", "above", "square"), [det("circle", square), det("square", square)]);
    assert.deepEqual(v.reasons, ["expected circle above target, found  target"]);
  });

  it("reports a missing target group", () => {
    const v = evaluateImage(positionPrompt("circle", "left of", "square"), [det("circle", A)]);
    assert.deepEqual(v.reasons, ["expected square>=1, found 0", "no target for circle to be left of"]);
  });

  it("treats a target that failed its colour as missing", () => {
    const meta: PromptMeta = {
      tag: "position",
      include: [{ class: "square", count: 1, color: "blue" }, { class: "circle", count: 1, position: ["left of", 0] }],
      prompt: "x",
    };
    const v = evaluateImage(meta, [det("circle", A), det("square", square, 0.9, "red")]);
    assert.deepEqual(v.reasons, ["expected blue square>=1, found 0 blue; and 1 red", "no target for circle to be left of"]);
  });

  it("checks against every object of the target group, one reason per include", () => {
    const meta: PromptMeta = {
      tag: "position",
      include: [{ class: "square", count: 2 }, { class: "circle", count: 1, position: ["left of", 0] }],
      prompt: "x",
    };
    const between = [det("square", [0, 0, 10, 10]), det("circle", [50, 0, 60, 10]), det("square", [100, 0, 110, 10])];
    assert.deepEqual(evaluateImage(meta, between).reasons, ["expected circle left of target, found right of target"]);
    const leftOfBoth = [det("circle", [0, 0, 10, 10]), det("square", [50, 0, 60, 10]), det("square", [100, 0, 110, 10])];
    assert.equal(evaluateImage(meta, leftOfBoth).correct, true);
  });

  it("places only the most confident object; a less confident one elsewhere does not matter", () => {
    const dets = [det("circle", A, 0.9), det("circle", [100, 0, 110, 10], 0.5), det("square", square)];
    assert.equal(evaluateImage(positionPrompt("circle", "left of", "square"), dets).correct, true);
    const swapped = [det("circle", A, 0.5), det("circle", [100, 0, 110, 10], 0.9), det("square", square)];
    assert.equal(evaluateImage(positionPrompt("circle", "left of", "square"), swapped).correct, false);
  });

  it("skips the position check when the object failed its colour", () => {
    const meta: PromptMeta = {
      tag: "position",
      include: [{ class: "square", count: 1 }, { class: "circle", count: 1, color: "red", position: ["left of", 0] }],
      prompt: "x",
    };
    const v = evaluateImage(meta, [det("circle", [100, 0, 110, 10], 0.9, "blue"), det("square", square)]);
    assert.deepEqual(v.reasons, ["expected red circle>=1, found 0 red; and 1 blue"]);
  });

  it("refuses a position that names no earlier include", () => {
    const meta: PromptMeta = { tag: "position", include: [{ class: "circle", count: 1, position: ["left of", 0] }], prompt: "x" };
    assert.throws(() => evaluateImage(meta, [det("circle", A)]), /not an earlier include/);
  });
});

it("GenEval parity: equal confidences put the later detection first (numpy's argsort, reversed)", () => {
  const first = det("circle", [0, 0, 10, 10], 0.9, "red");
  const later = det("circle", [20, 0, 30, 10], 0.9, "blue");
  assert.deepEqual(keptDetections([first, later], "colors").get("circle"), [later, first]);
  const meta = { tag: "colors" as const, include: [{ class: "circle", count: 1, color: "blue" as const }], prompt: "a photo of a blue circle" };
  assert.equal(evaluateImage(meta, [first, later]).correct, true, "the later, blue one is the one checked");
});

it("GenEval parity: the position rule divides by sqrt(x*x + y*y), not Math.hypot", () => {
  // offset (1, sqrt(3)): hypot gives exactly 2 (dx = 0.5, not beyond), numpy's norm 1.9999999999999998 (dx just beyond 0.5)
  const y = Math.sqrt(3);
  assert.deepEqual(relativePosition([1, y, 1, y], [0, 0, 0, 0]), ["right of", "below"]);
});
