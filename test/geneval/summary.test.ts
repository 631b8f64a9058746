import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { summarize, type ScoredImage } from "../../src/geneval/summary.js";
import type { Tag } from "../../src/geneval/types.js";

const images = (tag: Tag, promptKey: string, ...correct: boolean[]): ScoredImage[] => correct.map((c) => ({ tag, promptKey, correct: c }));

describe("summarize", () => {
  const scored = [
    ...images("single_object", "0", true, true, true, true),
    ...images("counting", "1", false, false, true, false),
    ...images("counting", "2", false, false, false, false),
  ];

  it("gives per-tag accuracy over images and the unweighted mean of tags", () => {
    const s = summarize(scored);
    assert.deepEqual(s.by_tag, { single_object: 1, counting: 0.125 });
    // mean of tags (1 + 0.125) / 2, not the image mean 5 / 12
    assert.equal(s.overall, 0.5625);
    assert.equal(s.images, 12);
    assert.equal(s.correct_images_pct, 100 * (5 / 12));
  });

  it("counts a prompt correct when any of its images is", () => {
    assert.equal(summarize(scored).correct_prompts_pct, 100 * (2 / 3));
  });

  it("leaves absent tags out of by_tag and of the mean", () => {
    const s = summarize(images("position", "7", false, true));
    assert.deepEqual(Object.keys(s.by_tag), ["position"]);
    assert.equal(s.overall, 0.5);
  });

  it("keeps the JSON shape", () => {
    assert.deepEqual(Object.keys(summarize(scored)), ["overall", "by_tag", "images", "correct_images_pct", "correct_prompts_pct"]);
  });

  it("refuses an empty set", () => {
    assert.throws(() => summarize([]), /no images/);
  });
});
