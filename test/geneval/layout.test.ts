import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { listPromptFolders, promptDir, samplePath, writePromptFolder } from "../../src/geneval/layout.js";
import { defaultResultsPath, formatResultsJsonl, scoreFolder, summarizeRows, writeEvalOutputs } from "../../src/geneval/score.js";
import { countingPrompt, singleObjectPrompt } from "../../src/geneval/suite.js";
import { det } from "./fixtures.js";

const root = mkdtempSync(join(tmpdir(), "imagecot-layout-"));
after(() => rmSync(root, { recursive: true, force: true }));
const png = (s: string) => new TextEncoder().encode(s);

describe("layout", () => {
  it("names folders and samples as GenEval's README does", () => {
    assert.equal(promptDir("out", 7), join("out", "00007"));
    assert.equal(samplePath("out", 7, 3), join("out", "00007", "samples", "0003.png"));
  });

  it("writes a prompt folder and lists folders and samples in numeric order", () => {
    const out = join(root, "written");
    writePromptFolder(out, 10, countingPrompt("circle", 2), [png("a"), png("b")]);
    writePromptFolder(out, 2, singleObjectPrompt("square"), [png("c")]);
    mkdirSync(join(out, "notes"));
    writeFileSync(join(out, "00002", "samples", "grid.png"), "x");
    assert.equal(
      readFileSync(join(out, "00010", "metadata.jsonl"), "utf8"),
      '{"tag": "counting", "include": [{"class": "circle", "count": 2}], "exclude": [{"class": "circle", "count": 3}], "prompt": "a photo of two circles"}',
    );
    const folders = listPromptFolders(out);
    assert.deepEqual(folders.map((f) => f.index), [2, 10]);
    assert.deepEqual(folders[0].metadata, singleObjectPrompt("square"));
    assert.deepEqual(folders[1].images, [
      { index: 0, path: join(out, "00010", "samples", "0000.png") },
      { index: 1, path: join(out, "00010", "samples", "0001.png") },
    ]);
    assert.equal(readFileSync(folders[1].images[1].path, "utf8"), "b");
  });

  it("names a missing or malformed metadata file", () => {
    const out = join(root, "broken");
    mkdirSync(join(out, "00000", "samples"), { recursive: true });
    assert.throws(() => listPromptFolders(out), { message: `missing ${join(out, "00000", "metadata.jsonl")}` });
    writeFileSync(join(out, "00000", "metadata.jsonl"), '{"tag": "single", "include": [{"class": "a", "count": 1}], "prompt": "p"}');
    assert.throws(() => listPromptFolders(out), /^Error: unknown tag 'single' on .*00000\/metadata.jsonl \(valid: /);
    writeFileSync(join(out, "00000", "metadata.jsonl"), "{}\n{}\n");
    assert.throws(() => listPromptFolders(out), /expected one line of metadata, found 2/);
    assert.throws(() => listPromptFolders(join(root, "nowhere")), /not a folder/);
  });
});

describe("scoreFolder", () => {
  it("scores every sample through the given detector and summarises by prompt", () => {
    const out = join(root, "scored");
    writePromptFolder(out, 0, singleObjectPrompt("circle"), [png("hit"), png("miss")]);
    writePromptFolder(out, 1, countingPrompt("square", 2), [png("miss"), png("miss")]);
    // a stand-in detector: finds what the file says
    const detect = (path: string) => {
      const hit = readFileSync(path, "utf8") === "hit";
      return hit ? [det("circle", [0, 0, 10, 10])] : [];
    };
    const seen: number[] = [];
    const rows = scoreFolder(out, detect, (done) => seen.push(done));
    assert.deepEqual(seen, [1, 2, 3, 4]);
    assert.deepEqual(
      rows.map((r) => [r.prompt_index, r.sample_index, r.filename, r.correct, r.reasons]),
      [
        [0, 0, join("00000", "samples", "0000.png"), true, []],
        [0, 1, join("00000", "samples", "0001.png"), false, ["expected circle>=1, found 0"]],
        [1, 0, join("00001", "samples", "0000.png"), false, ["expected square>=2, found 0"]],
        [1, 1, join("00001", "samples", "0001.png"), false, ["expected square>=2, found 0"]],
      ],
    );
    const summary = summarizeRows(rows);
    assert.deepEqual(summary, { overall: 0.25, by_tag: { single_object: 0.5, counting: 0 }, images: 4, correct_images_pct: 25, correct_prompts_pct: 50 });

    const summaryPath = join(out, "summary.json");
    writeEvalOutputs(summaryPath, defaultResultsPath(summaryPath), rows, summary);
    assert.equal(readFileSync(join(out, "results.jsonl"), "utf8"), formatResultsJsonl(rows));
    const written = JSON.parse(readFileSync(summaryPath, "utf8"));
    assert.equal(written.overall, 0.25);
    assert.equal(typeof written.git_commit, "string");
  });

  it("names the image a detector failed on, and refuses a folder with no images", () => {
    const out = join(root, "failing");
    writePromptFolder(out, 0, singleObjectPrompt("circle"), [png("x")]);
    assert.throws(
      () =>
        scoreFolder(out, () => {
          throw new Error("bad PNG");
        }),
      { message: `${join(out, "00000", "samples", "0000.png")}: bad PNG` },
    );
    const empty = join(root, "empty");
    mkdirSync(empty);
    assert.throws(() => scoreFolder(empty, () => []), /no images in/);
  });
});
