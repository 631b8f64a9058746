// `imagecot report` over a temporary results folder: the strategy rows (and only those), the
// charts, the paper's rows, and sample grids with the fate of every path from the traces.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { writeReport } from "../../src/cli/report.js";
import { UserError } from "../../src/cli/run.js";
import { writePromptFolder } from "../../src/geneval/layout.js";
import { paperRowFor } from "../../src/report/paper.js";
import { pathsSummary } from "../../src/report/samples.js";
import { createImage, encodePng } from "../../src/shapes/image.js";

const by_tag = { single_object: 0.9, two_object: 0.4, counting: 0.3, colors: 0.8, position: 0.1, color_attr: 0.2 };
const parmTrace = (seed: number) => ({
  strategy: "parm",
  seed,
  n: 3,
  chosen: 2,
  via: "survivors",
  paths: [
    { cutAfter: 8, outcome: null },
    { cutAfter: 10, outcome: null },
    { cutAfter: null, outcome: 0.9 },
  ],
});

describe("imagecot report", () => {
  let root: string;
  let results: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), "imagecot-report-"));
    results = join(root, "results");
    mkdirSync(results);
    const settings = (strategy: string, judge: string | null) => ({ strategy, judge, n: 20, images_per_prompt: 2 });
    writeFileSync(join(results, "baseline.json"), JSON.stringify({ overall: 0.27, by_tag, nfe_per_image: 36, judge_calls_per_image: 0, settings: settings("none", null) }));
    writeFileSync(
      join(results, "parm.json"),
      JSON.stringify({ overall: 0.45, by_tag, nfe_per_image: 410, judge_calls_per_image: 70, settings: settings("parm", "fine-tuned"), images_dir: "runs/parm" }),
    );
    writeFileSync(join(results, "engine.json"), JSON.stringify({ matmul_gflops: 185 })); // a benchmark: not a row
    const images = join(root, "runs", "parm");
    const png = encodePng(createImage(8, 8));
    writePromptFolder(images, 0, { tag: "single_object", include: [{ class: "circle", count: 1 }], prompt: "a photo of a circle" }, [png, png]);
    writeFileSync(join(images, "00000", "trace.json"), JSON.stringify([parmTrace(0), parmTrace(1)]));
    const row = (s: number, correct: boolean) => JSON.stringify({ prompt_index: 0, sample_index: s, filename: `00000/samples/000${s}.png`, tag: "single_object", prompt: "a photo of a circle", correct, reasons: correct ? [] : ["expected circle>=1, found 0"], detections: [] });
    writeFileSync(join(images, "results.jsonl"), `${row(0, true)}\n${row(1, false)}\n`);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it("writes the HTML report and the two SVG charts beside it", () => {
    const out = join(root, "out", "report.html");
    const r = writeReport(results, { out }, "2026-01-01");
    assert.deepEqual(r.rows, ["baseline", "parm"], "engine.json is not a strategy row");
    assert.deepEqual(r.charts, [join(root, "out", "report-by-tag.svg"), join(root, "out", "report-accuracy-nfe.svg")]);
    for (const f of r.charts) assert.match(readFileSync(f, "utf8"), /^<svg xmlns/);
    const html = readFileSync(out, "utf8");
    assert.match(html, /parm \(fine-tuned\), N=20/);
    assert.match(html, /PARM \+ it\. DPO with PARM guidance/, "the paper's rows");
    assert.equal((html.match(/<svg /g) ?? []).length, 2);
    assert.equal((html.match(/<figure class="ok">/g) ?? []).length, 1);
    assert.equal((html.match(/<figure class="bad">/g) ?? []).length, 1);
    assert.match(html, /title="expected circle&gt;=1, found 0"/);
    assert.match(html, /2 of 3 paths cut \(after steps 8-10\); chose path 2/);
  });

  it("fails clearly: no folder, no strategy rows, a broken file", () => {
    const code = (f: () => unknown, message: RegExp, exitCode: number) =>
      assert.throws(f, (e: unknown) => e instanceof UserError && message.test(e.message) && e.exitCode === exitCode);
    code(() => writeReport(join(root, "nope"), { out: join(root, "x.html") }), /not a folder/, 2);
    const empty = join(root, "empty");
    mkdirSync(empty);
    code(() => writeReport(empty, { out: join(root, "x.html") }), /no strategy results in/, 2);
    writeFileSync(join(empty, "broken.json"), "{");
    code(() => writeReport(empty, { out: join(root, "x.html") }), /broken\.json: not valid JSON/, 1);
    assert.ok(!existsSync(join(root, "x.html")));
  });

  it("tells each strategy's rejected paths, and finds the paper's row for a method", () => {
    assert.equal(pathsSummary({ strategy: "best-of-n", outcome: [0.2, 0.9, 0.5], chosen: 1 }), "chose path 1 of 3 (outcome .90); the others .20-.50");
    const pp = { strategy: "parm++", rounds: [{ ...parmTrace(0), reflection: { pYes: 0.1, reason: "expected two circles, found three" } }, parmTrace(0)] };
    assert.match(pathsSummary(pp), /^1 correction round\(s\) after "expected two circles, found three"; last round: 2 of 3 paths cut/);
    assert.equal(pathsSummary({ strategy: "none", seed: 0 }), "one path, nothing rejected");
    assert.equal(paperRowFor("best-of-n", "openai")?.label, "zero-shot ORM (N=20)");
    assert.equal(paperRowFor("parm", "fine-tuned")?.label, "PARM");
    assert.equal(paperRowFor("best-of-n", null), undefined);
  });
});
