import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDetectionsJsonl } from "../../src/geneval/detections.js";
import { scoreImage, summarizeRows } from "../../src/geneval/score.js";
import { countingPrompt, singleObjectPrompt } from "../../src/geneval/suite.js";
import type { PromptMeta } from "../../src/geneval/types.js";

const circle = { class: "circle", box: [0, 0, 10, 10], confidence: 0.95, color: "red" };
const row = (metadata: PromptMeta, detections: object[], extra: object = {}) => JSON.stringify({ metadata, detections, ...extra });

describe("detections JSONL", () => {
  it("groups samples by prompt text when there is no prompt_index", () => {
    const text = [
      row(singleObjectPrompt("circle"), [circle]),
      row(countingPrompt("circle", 2), [circle]),
      "",
      row(singleObjectPrompt("circle"), []),
    ].join("\n");
    const images = parseDetectionsJsonl(text);
    assert.deepEqual(images.map((im) => [im.promptIndex, im.sampleIndex]), [[0, 0], [1, 0], [0, 1]]);
    const rows = images.map(scoreImage);
    assert.deepEqual(rows.map((r) => r.correct), [true, false, false]);
    assert.equal(summarizeRows(rows).correct_prompts_pct, 50);
  });

  it("groups by prompt_index when given, and carries filenames", () => {
    const text = [
      row(singleObjectPrompt("circle"), [], { prompt_index: 5, filename: "a.png" }),
      row(singleObjectPrompt("circle"), [], { prompt_index: 9 }),
      row(singleObjectPrompt("circle"), [], { prompt_index: 5 }),
    ].join("\n");
    const images = parseDetectionsJsonl(text);
    assert.deepEqual(images.map((im) => [im.promptIndex, im.sampleIndex, im.filename]), [[5, 0, "a.png"], [9, 0, null], [5, 1, null]]);
  });

  it("reports errors with their line numbers", () => {
    const good = row(singleObjectPrompt("circle"), [circle]);
    const bad = (line: string) => () => parseDetectionsJsonl([good, line].join("\n"));
    assert.throws(bad(row(singleObjectPrompt("circle"), [{ ...circle, color: "violet" }])), {
      message: "unknown colour \"violet\" in detections[0].color (valid: red, orange, yellow, green, blue, purple, pink, brown, black, white; or leave it out) on line 2",
    });
    assert.throws(bad(row(singleObjectPrompt("circle"), [{ ...circle, box: [0, 0, 1] }])), /^Error: detections\[0\]\.box must be \[x0, y0, x1, y1\].* on line 2$/);
    assert.throws(bad(row({ ...singleObjectPrompt("circle"), tag: "shapes" } as unknown as PromptMeta, [])), /^Error: unknown tag 'shapes' on line 2/);
    assert.throws(bad("{"), /^Error: bad JSON: .* on line 2$/);
    assert.throws(bad(JSON.stringify({ metadata: singleObjectPrompt("circle"), detections: [], prompt_idx: 1 })), /unknown field 'prompt_idx'/);
    assert.throws(bad(row(singleObjectPrompt("circle"), [], { prompt_index: 0 })), /prompt_index must be given on every row or on none on line 2/);
    assert.throws(bad(row({ ...singleObjectPrompt("circle"), include: [{ class: "circle", count: 2 }] }, [])), /metadata differs from line 1, which has the same prompt on line 2/);
    assert.throws(() => parseDetectionsJsonl("\n"), /no rows/);
  });
});

describe("GenEval's own results.jsonl", () => {
  const row = (meta: object, details: object, correct: boolean) =>
    JSON.stringify({ filename: "out/00000/samples/0000.png", tag: (meta as { tag: string }).tag, prompt: (meta as { prompt: string }).prompt, correct, reason: "", metadata: JSON.stringify(meta), details: JSON.stringify(details) });
  const two = { tag: "two_object", include: [{ class: "clock", count: 1 }, { class: "cat", count: 1 }], prompt: "a photo of a clock and a cat" };
  const red = { tag: "colors", include: [{ class: "clock", count: 1, color: "red" }], prompt: "a photo of a red clock" };

  it("reads its rows: metadata and details are JSON strings, detections carry no colour, its verdict is kept", () => {
    const images = parseDetectionsJsonl([row(two, { clock: [[1, 2, 30, 40, 0.98]], cat: [[50, 50, 60, 60, 0.9]] }, true), row(red, { clock: [[0, 0, 9, 9, 0.99]] }, true)].join("\n"));
    assert.equal(images.length, 2);
    assert.deepEqual(images[0].detections[0], { class: "clock", box: [1, 2, 30, 40], confidence: 0.98 });
    assert.equal(images[0].reported, true);
    assert.equal(scoreImage(images[0]).correct, true);
    const colours = scoreImage(images[1]);
    assert.equal(colours.correct, false);
    assert.deepEqual(colours.reasons, ["expected red clock>=1, but the detections carry no colour to check"]);
  });

  it("names the line and field of a malformed row", () => {
    assert.throws(() => parseDetectionsJsonl(JSON.stringify({ metadata: "{}", details: "[1" })), /details is not valid JSON.*line 1/);
    assert.throws(() => parseDetectionsJsonl(row(two, { clock: [[1, 2, 3]] }, true)), /details\.clock\[0\] must be \[x0, y0, x1, y1, confidence\] on line 1/);
  });
});
