// `imagecot report` over a temporary results folder: the strategy rows (and only those), the
// charts as SVG and PNG, the paper's rows, and sample grids with the fate of every path: the
// rejected paths' images where the evaluation kept them, else the traces' account.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { PNG } from "pngjs";
import { writeReport } from "../../src/cli/report.js";
import { UserError } from "../../src/cli/run.js";
import type { RejectedSidecar } from "../../src/eval/rejected.js";
import { writePromptFolder } from "../../src/geneval/layout.js";
import { paperRowFor } from "../../src/report/paper.js";
import { pathsSummary } from "../../src/report/samples.js";
import { color } from "../../src/charts/svg.js";
import { createImage, encodePng } from "../../src/shapes/image.js";

/** "#1f77b4" as [31, 119, 180] */
const rgb = (hex: string): [number, number, number] => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
const by_tag = { single_object: 0.9, two_object: 0.4, counting: 0.3, colors: 0.8, position: 0.1, color_attr: 0.2 };
const parmTrace = (seed: number, paths: { cutAfter: number | null; outcome: number | null }[]) => ({ strategy: "parm", seed, n: 3, chosen: 2, via: "survivors", paths });
const twoCut = [
  { cutAfter: 8, outcome: null },
  { cutAfter: 10, outcome: null },
  { cutAfter: null, outcome: 0.9 },
];
const oneCut = [
  { cutAfter: 8, outcome: null },
  { cutAfter: null, outcome: 0.4 },
  { cutAfter: null, outcome: 0.9 },
];
const circle = { tag: "single_object" as const, include: [{ class: "circle", count: 1 }], prompt: "a photo of a circle" };

/** A prompt folder of two samples, the first correct, with its traces and detector verdicts. */
function imagesFolder(dir: string, trace: object[]): void {
  const png = encodePng(createImage(8, 8));
  writePromptFolder(dir, 0, circle, [png, png]);
  writeFileSync(join(dir, "00000", "trace.json"), JSON.stringify(trace));
  const row = (s: number, correct: boolean) => JSON.stringify({ prompt_index: 0, sample_index: s, filename: `00000/samples/000${s}.png`, tag: "single_object", prompt: circle.prompt, correct, reasons: correct ? [] : ["expected circle>=1, found 0"], detections: [] });
  writeFileSync(join(dir, "results.jsonl"), `${row(0, true)}\n${row(1, false)}\n`);
}

/** Pixels of the image in this colour. */
/** Pixels of about this colour (anti-aliased edges excluded). */
function count(png: PNG, c: readonly number[]): number {
  let n = 0;
  for (let i = 0; i < png.data.length; i += 4) if ([0, 1, 2].every((k) => Math.abs(png.data[i + k] - c[k]) <= 6)) n++;
  return n;
}

describe("imagecot report", () => {
  let root: string;
  let results: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), "imagecot-report-"));
    results = join(root, "results");
    mkdirSync(results);
    const settings = (strategy: string, judge: string | null) => ({ strategy, judge, n: 20, images_per_prompt: 2 });
    writeFileSync(join(results, "baseline.json"), JSON.stringify({ overall: 0.27, by_tag, nfe_per_image: 36, judge_calls_per_image: 0, settings: settings("none", null) }));
    const parm = (dir: string) => JSON.stringify({ overall: 0.45, by_tag, nfe_per_image: 410, judge_calls_per_image: 70, settings: settings("parm", "fine-tuned"), images_dir: dir });
    writeFileSync(join(results, "parm.json"), parm("runs/parm"));
    writeFileSync(join(results, "parm-old.json"), parm("runs/parm-old"));
    writeFileSync(join(results, "engine.json"), JSON.stringify({ matmul_gflops: 185 })); // a benchmark: not a row
    // an evaluation that kept the rejected paths of the first image: path 0 cut, path 1 finished
    const images = join(root, "runs", "parm");
    imagesFolder(images, [parmTrace(0, oneCut), parmTrace(1, oneCut)]);
    writeFileSync(join(images, "00000", "samples", "0000-path01.png"), encodePng(createImage(8, 8)));
    const kept: RejectedSidecar = {
      sample: 0,
      chosen: 2,
      rejected: [
        { path: 0, file: null, cutAfter: 8, pYes: 0.2, detector: null },
        { path: 1, file: "samples/0000-path01.png", cutAfter: null, pYes: 0.4, detector: { correct: false, reasons: ["expected circle>=1, found 0"] } },
        // stopped by PARM's survivor budget: before it was clear, and after it passed
        { path: 3, file: null, cutAfter: 8, pYes: null, detector: null },
        { path: 4, file: null, cutAfter: 8, pYes: 0.7, detector: null },
      ],
    };
    writeFileSync(join(images, "00000", "rejected.json"), JSON.stringify(kept));
    // one from before rejected paths were kept
    imagesFolder(join(root, "runs", "parm-old"), [parmTrace(0, twoCut), parmTrace(1, twoCut)]);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it("writes the HTML report and each chart beside it as SVG and PNG", () => {
    const out = join(root, "out", "report.html");
    const r = writeReport(results, { out }, "2026-01-01");
    assert.deepEqual(r.rows, ["baseline", "parm-old", "parm"], "engine.json is not a strategy row");
    const file = (name: string) => join(root, "out", name);
    assert.deepEqual(r.charts, ["report-by-tag.svg", "report-by-tag.png", "report-accuracy-nfe.svg", "report-accuracy-nfe.png"].map(file), "no DPO runs: no pairs chart");
    for (const f of r.charts.filter((c) => c.endsWith(".svg"))) assert.match(readFileSync(f, "utf8"), /^<svg xmlns/);
    const html = readFileSync(out, "utf8");
    assert.match(html, /parm \(fine-tuned\), N=20/);
    assert.match(html, /PARM \+ it\. DPO with PARM guidance/, "the paper's rows");
    assert.equal((html.match(/<svg /g) ?? []).length, 2);
    assert.doesNotMatch(html, /DPO training pairs/);
    // how it was made: the command, commit, date and machine, in the page and in each SVG
    const made = JSON.parse(html.match(/<pre id="provenance">([^<]*)<\/pre>/)![1].replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&")) as Record<string, unknown>;
    assert.deepEqual(Object.keys(made).sort(), ["command", "date", "git_commit", "git_dirty", "machine"]);
    assert.match(readFileSync(file("report-by-tag.svg"), "utf8"), /^<svg [^>]*>\n<metadata>\{&quot;command&quot;:/);

    const bars = PNG.sync.read(readFileSync(file("report-by-tag.png")));
    assert.ok(bars.width >= 400 && bars.width <= 2000 && bars.height >= 280 && bars.height <= 600, `${bars.width}x${bars.height}`);
    // three rows of 7 bars each: heights in pixels follow the values (plot 200 px high)
    const barPixels = [0, 1, 2].map((i) => count(bars, rgb(color(i))));
    const swatch = 10 * 10; // each legend swatch
    const widthOf = (total: number, values: number[]) => (total - swatch) / (200 * values.reduce((a, b) => a + b, 0));
    const values = [...Object.values(by_tag)];
    assert.ok(Math.abs(widthOf(barPixels[0], [...values, 0.27]) - widthOf(barPixels[1], [...values, 0.45])) < 0.2, `bar areas ${barPixels}`);
    let ink = 0;
    for (let i = 0; i < bars.data.length; i += 4) if (bars.data[i] < 90 && bars.data[i + 1] < 90 && bars.data[i + 2] < 90) ink++;
    assert.ok(ink > 300, `ink: axes, labels (rendered text) and the paper's ticks (${ink} dark pixels)`);

    const nfe = PNG.sync.read(readFileSync(file("report-accuracy-nfe.png")));
    assert.ok(nfe.width >= 400 && nfe.height >= 300, `${nfe.width}x${nfe.height}`);
    // baseline, and the two parm rows: one curve, their markers drawn at the same point
    const dots = [0, 1, 2].map((i) => count(nfe, rgb(color(i))));
    assert.ok(dots[0] > 25 && dots[1] + dots[2] > 25, `a marker for each curve: ${dots}`);
  });

  it("shows the chosen image beside the rejected paths where they were kept, else the trace's account", () => {
    const out = join(root, "grid", "report.html");
    writeReport(results, { out, charts: "svg" }, "2026-01-01");
    const html = readFileSync(out, "utf8");
    const selection = /<div class="selection">(.*?)<\/div><figure/.exec(html)?.[1] ?? "";
    assert.match(selection, /^<figure class="ok chosen"><img [^>]*alt="sample 0, path 2"[^>]*><figcaption>1 of 3 paths cut \(after step 8\); chose path 2<\/figcaption><\/figure>/, "the chosen image first, outlined");
    assert.match(selection, /<figure class="cut small"><div>cut after step 8<\/div><figcaption>path 0: potential \.20<\/figcaption><\/figure>/, "a cut path: a greyed cell");
    assert.match(selection, /<div>stopped after step 8<\/div><figcaption>path 3: stopped by the survivor budget before it was clear<\/figcaption>/);
    assert.match(selection, /<div>stopped after step 8<\/div><figcaption>path 4: potential \.70, stopped by the survivor budget<\/figcaption>/);
    assert.match(selection, /<figure class="bad small"><img [^>]*alt="path 1" title="expected circle&gt;=1, found 0"><figcaption>path 1: outcome \.40<\/figcaption><\/figure>/);
    assert.equal((html.match(/<div class="selection">/g) ?? []).length, 1, "only the first image of the folder that kept its paths");
    // the older folder and the second samples: framed images with their trace's account
    assert.match(html, /<figure class="ok"><img [^>]*alt="sample 0"[^>]*><figcaption>2 of 3 paths cut \(after steps 8-10\); chose path 2<\/figcaption>/);
    assert.equal((html.match(/<figure class="bad">/g) ?? []).length, 2);
    assert.match(html, /title="expected circle&gt;=1, found 0"/);
  });

  it("writes only the chart format asked for", () => {
    const svg = writeReport(results, { out: join(root, "svg", "r.html"), charts: "svg" }, "2026-01-01");
    assert.deepEqual(svg.charts, [join(root, "svg", "r-by-tag.svg"), join(root, "svg", "r-accuracy-nfe.svg")]);
    const png = writeReport(results, { out: join(root, "png", "r.html"), charts: "png" }, "2026-01-01");
    assert.deepEqual(png.charts, [join(root, "png", "r-by-tag.png"), join(root, "png", "r-accuracy-nfe.png")]);
    assert.ok(!existsSync(join(root, "png", "r-by-tag.svg")));
    assert.match(readFileSync(join(root, "png", "r.html"), "utf8"), /<svg /, "the HTML has its charts inline whatever the files");
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
    const pp = { strategy: "parm++", rounds: [{ ...parmTrace(0, twoCut), reflection: { pYes: 0.1, reason: "expected two circles, found three" } }, parmTrace(0, twoCut)] };
    assert.match(pathsSummary(pp), /^1 correction round\(s\) after "expected two circles, found three"; last round: 2 of 3 paths cut/);
    assert.equal(pathsSummary({ strategy: "none", seed: 0 }), "one path, nothing rejected");
    assert.equal(paperRowFor("best-of-n", "openai")?.label, "zero-shot ORM (N=20)");
    assert.equal(paperRowFor("parm", "fine-tuned")?.label, "PARM");
    assert.equal(paperRowFor("best-of-n", null), undefined);
  });
});
