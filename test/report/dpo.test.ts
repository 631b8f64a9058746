// The chart of GenEval score against DPO training pairs: DPO results files joined with the
// evaluations of their weights, by resolved path or content hash, one line per DPO run and evaluation setting.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { PNG } from "pngjs";
import { writeReport } from "../../src/cli/report.js";
import { type DpoRun, dpoPairsLines, readDpoRuns } from "../../src/report/dpo.js";
import { readResultsDir } from "../../src/report/results.js";
import { color } from "../../src/charts/svg.js";

/** "#1f77b4" as [31, 119, 180] */
const rgb = (hex: string): [number, number, number] => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
const by_tag = { single_object: 0.9, two_object: 0.4, counting: 0.3, colors: 0.8, position: 0.1, color_attr: 0.2 };

describe("GenEval score against DPO training pairs", () => {
  let root: string;
  let results: string;
  const write = (name: string, json: object) => writeFileSync(join(results, `${name}.json`), JSON.stringify(json));
  const evalOf = (generator: string, overall: number, strategy = "none", k = 1) =>
    ({ overall, by_tag, nfe_per_image: 36, settings: { strategy, judge: strategy === "none" ? null : "fine-tuned", n: 20, images_per_prompt: k, every: 1, generator } });
  const round = (r: number, generator: string, pairs: number | null, weights: string) => ({ round: r, data: `runs/rank-${r}`, generator, pairs: pairs === null ? null : { pairs, prompts: 10 }, training: { steps: 5 }, weights });

  before(() => {
    root = mkdtempSync(join(tmpdir(), "imagecot-dpo-report-"));
    results = join(root, "results");
    mkdirSync(results);
    // paths as the commands record them: relative to the folder holding results/, or absolute
    write("train-dpo", { dpo: { method: "dpo", out: join(root, "models", "generator-dpo.safetensors"), rounds: [round(1, join(root, "models", "generator.safetensors"), 120, "runs/dpo/plain/round-1/generator.safetensors")] } });
    write("train-dpo-iterative", {
      dpo: {
        method: "iterative dpo",
        out: "models/generator-dpo-iter.safetensors",
        rounds: [round(1, "models/generator.safetensors", 100, "runs/dpo-iter/round-1/generator.safetensors"), round(2, "runs/dpo-iter/round-1/generator.safetensors", 80, "runs/dpo-iter/round-2/generator.safetensors")],
      },
    });
    write("base-none", evalOf("models/generator.safetensors", 0.3));
    write("base-parm", evalOf("./models/generator.safetensors", 0.45, "parm"));
    write("dpo-none", evalOf(join(root, "models", "generator-dpo.safetensors"), 0.36)); // the final path
    write("iter1-none", evalOf(join(root, "runs", "dpo-iter", "round-1", "generator.safetensors"), 0.33));
    write("iter1-parm", evalOf("runs/dpo-iter/round-1/generator.safetensors", 0.5, "parm"));
    write("iter2-none", evalOf("models/generator-dpo-iter.safetensors", 0.4)); // the last round, under the final path
    write("iter2-none-k4", evalOf("runs/dpo-iter/round-2/generator.safetensors", 0.42, "none", 4)); // another setting, no baseline
    write("other-none", evalOf("models/unrelated.safetensors", 0.9));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it("joins each round's weights with their evaluation, from the starting weights at 0 pairs", () => {
    const runs = readDpoRuns(results);
    assert.deepEqual(runs.map((r) => [r.label, r.method, r.start]), [
      ["train-dpo-iterative", "iterative dpo", join(root, "models", "generator.safetensors")],
      ["train-dpo", "dpo", join(root, "models", "generator.safetensors")],
    ], "by file name, as the rows");
    const lines = dpoPairsLines(runs, readResultsDir(results));
    assert.deepEqual(lines, [
      {
        name: "train-dpo-iterative (iterative dpo): none, K=1",
        points: [
          { pairs: 0, overall: 0.3, round: 0, eval: "base-none" },
          { pairs: 100, overall: 0.33, round: 1, eval: "iter1-none" },
          { pairs: 180, overall: 0.4, round: 2, eval: "iter2-none" },
        ],
      },
      {
        name: "train-dpo-iterative (iterative dpo): parm (fine-tuned), N=20, K=1",
        points: [
          { pairs: 0, overall: 0.45, round: 0, eval: "base-parm" },
          { pairs: 100, overall: 0.5, round: 1, eval: "iter1-parm" },
        ],
      },
      { name: "train-dpo-iterative (iterative dpo): none, K=4", points: [{ pairs: 180, overall: 0.42, round: 2, eval: "iter2-none-k4" }] },
      {
        name: "train-dpo (dpo): none, K=1",
        points: [
          { pairs: 0, overall: 0.3, round: 0, eval: "base-none" },
          { pairs: 120, overall: 0.36, round: 1, eval: "dpo-none" },
        ],
      },
    ]);
    // train-dpo x parm: only its starting weights were evaluated, so no line
  });

  it("stops counting pairs at a round that does not say how many", () => {
    const run: DpoRun = { label: "x", method: "iterative dpo", start: "/w/0", startHash: null, out: null, rounds: [{ round: 1, weights: "/w/1", hash: null, pairs: null }, { round: 2, weights: "/w/2", hash: null, pairs: 50 }] };
    const row = (generator: string, overall: number) => ({ ...readResultsDir(results)[0], label: generator, generator, overall });
    assert.deepEqual(dpoPairsLines([run], [row("/w/0", 0.1), row("/w/1", 0.2), row("/w/2", 0.3)]), [], "nothing past the starting weights has a known x");
  });

  it("joins by content hash where both files record it: a round evaluated under another path (a shipped copy)", () => {
    const run: DpoRun = { label: "x", method: "iterative dpo", start: "/w/0", startHash: "h0", out: "/m/final", rounds: [{ round: 1, weights: "/runs/r1", hash: "h1", pairs: 10 }, { round: 2, weights: "/runs/r2", hash: "h2", pairs: 20 }] };
    const row = (generator: string, generatorHash: string | null, overall: number) => ({ ...readResultsDir(results)[0], label: generator, generator, generatorHash, overall });
    const rows = [row("/m/start-copy", "h0", 0.1), row("/m/round-1-copy", "h1", 0.2), row("/m/unrelated", null, 0.9), row("/m/final", null, 0.3)];
    assert.deepEqual(
      dpoPairsLines([run], rows)[0].points.map((p) => [p.round, p.pairs, p.overall]),
      [[0, 0, 0.1], [1, 10, 0.2], [2, 30, 0.3]],
    );
    const noHash = [row("/m/round-1-copy", null, 0.2)];
    assert.deepEqual(dpoPairsLines([run], noHash), [], "a file without the hash joins by path only");
    const stale = [row("/m/round-1-copy", "h1", 0.2), row("/m/final", "an older file's", 0.3)];
    assert.deepEqual(dpoPairsLines([run], stale)[0].points.map((p) => p.round), [1], "an evaluation of an older file under the final path is not the last round's");
  });

  it("draws the chart in the report, as SVG and PNG, only when there are DPO runs", () => {
    const r = writeReport(results, { out: join(root, "out", "report.html") }, "2026-01-01");
    assert.deepEqual(r.charts.slice(-2), [join(root, "out", "report-dpo-pairs.svg"), join(root, "out", "report-dpo-pairs.png")]);
    const svg = readFileSync(join(root, "out", "report-dpo-pairs.svg"), "utf8");
    assert.equal((svg.match(/<polyline /g) ?? []).length, 4);
    assert.equal((svg.match(/<circle /g) ?? []).length, 2 + 3 + 2 + 1);
    assert.match(svg, /train-dpo-iterative \(iterative dpo\): none, K=1: round 2, 180 pairs, overall \.40 \(iter2-none\)/);
    const html = readFileSync(join(root, "out", "report.html"), "utf8");
    assert.match(html, /<h2>GenEval score against DPO training pairs<\/h2>/);
    const png = PNG.sync.read(readFileSync(join(root, "out", "report-dpo-pairs.png")));
    assert.ok(png.width >= 400 && png.height >= 300, `${png.width}x${png.height}`);
    for (let i = 0; i < 4; i++) {
      const [cr, cg, cb] = rgb(color(i));
      let n = 0;
      for (let p = 0; p < png.data.length; p += 4) if (png.data[p] === cr && png.data[p + 1] === cg && png.data[p + 2] === cb) n++;
      assert.ok(n >= 25, `line ${i}: its dots and swatch (${n} pixels)`);
    }

    // DPO runs whose weights were never evaluated: the chart says so
    const lonely = join(root, "lonely");
    mkdirSync(lonely);
    writeFileSync(join(lonely, "base.json"), JSON.stringify(evalOf("models/generator.safetensors", 0.3)));
    writeFileSync(join(lonely, "train-dpo.json"), readFileSync(join(results, "train-dpo.json")));
    writeReport(lonely, { out: join(root, "lonely-out", "r.html"), charts: "svg" }, "2026-01-01");
    assert.match(readFileSync(join(root, "lonely-out", "r-dpo-pairs.svg"), "utf8"), /no evaluations of DPO weights yet/);
  });
});
