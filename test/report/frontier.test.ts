// The compute frontier in the report: `imagecot report` picks up results/frontier.json and
// draws best-of-N and PARM against NFE per image (log x), the oracle dashed; other files and
// malformed frontiers are told apart.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { PNG } from "pngjs";
import { writeReport } from "../../src/cli/report.js";
import { color } from "../../src/charts/svg.js";
import { frontierSvg } from "../../src/report/charts.js";
import { parseFrontierFile, readFrontiers } from "../../src/report/frontier.js";

const by_tag = { single_object: 0.9, two_object: 0.4, counting: 0.3, colors: 0.8, position: 0.1, color_attr: 0.2 };
const curve = (pts: [number, number, number][]) => pts.map(([n, nfe, overall]) => ({ n, nfe_per_image: nfe, overall, by_tag: { single_object: overall } }));
const FRONTIER = {
  command: "imagecot bench frontier --record runs/record --judge fine-tuned --out results/frontier.json",
  frontier: {
    judge: "fine-tuned",
    best_of_n: curve([[1, 36, 0.3], [2, 72, 0.36], [4, 144, 0.4], [8, 288, 0.42]]),
    parm: curve([[1, 36, 0.3], [2, 50, 0.38], [4, 90, 0.43], [8, 170, 0.45]]),
    oracle: curve([[1, 36, 0.3], [2, 72, 0.45], [4, 144, 0.55], [8, 288, 0.62]]),
    budget: { parm_at_or_above_best_of_n: true },
  },
};

describe("the frontier chart", () => {
  const root = mkdtempSync(join(tmpdir(), "imagecot-frontier-report-"));
  after(() => rmSync(root, { recursive: true, force: true }));
  const results = join(root, "results");
  mkdirSync(results);
  writeFileSync(join(results, "baseline.json"), JSON.stringify({ overall: 0.3, by_tag, nfe_per_image: 36, judge_calls_per_image: 0, settings: { strategy: "none", judge: null, n: 1 } }));
  writeFileSync(join(results, "frontier.json"), JSON.stringify(FRONTIER));

  it("reads frontier files only, and refuses a malformed one in one message", () => {
    assert.deepEqual(readFrontiers(results).map((f) => [f.label, f.judge, f.parm.length, f.parmAtOrAbove]), [["frontier", "fine-tuned", 4, true]]);
    assert.equal(parseFrontierFile("x.json", { overall: 0.3, by_tag }), null, "an evaluation is not a frontier");
    assert.equal(parseFrontierFile("x.json", null), null);
    const broken = { frontier: { ...FRONTIER.frontier, parm: [{ n: 1, overall: 0.3 }] } };
    assert.throws(() => parseFrontierFile("x.json", broken), /x\.json: a point of frontier\.parm without numbers/);
    const unsaid = parseFrontierFile("y.json", { frontier: { ...FRONTIER.frontier, budget: undefined } });
    assert.equal(unsaid?.parmAtOrAbove, null);
  });

  it("draws best-of-N and PARM on a log NFE axis with the oracle dashed, in the report's SVG and PNG", () => {
    const r = writeReport(results, { out: join(root, "out", "report.html") }, "2026-01-01");
    assert.deepEqual(r.charts.slice(4), [join(root, "out", "report-frontier.svg"), join(root, "out", "report-frontier.png")]);
    const svg = readFileSync(join(root, "out", "report-frontier.svg"), "utf8");
    assert.equal((svg.match(/<polyline/g) ?? []).length, 3, "best-of-N, PARM, oracle");
    assert.equal((svg.match(/<polyline[^>]*stroke-dasharray/g) ?? []).length, 1, "only the oracle dashed");
    assert.match(svg, /best-of-N \(ORM\), N = 1, 2, 4, 8/);
    assert.match(svg, /PARM, N = 1, 2, 4, 8; at or above best-of-N at every NFE budget: yes/);
    assert.match(svg, /<title>PARM, N=4: \.43 at 90 NFE<\/title>/, "each point says its N");
    assert.match(svg, /log scale/);
    assert.match(readFileSync(join(root, "out", "report.html"), "utf8"), /<h2>Compute frontier: frontier<\/h2>/);
    const png = PNG.sync.read(readFileSync(join(root, "out", "report-frontier.png")));
    let [blue, orange] = [0, 0];
    const near = (i: number, hex: string) => [1, 3, 5].every((k, c) => Math.abs(png.data[i + c] - parseInt(hex.slice(k, k + 2), 16)) <= 6);
    for (let i = 0; i < png.data.length; i += 4) {
      if (near(i, color(0))) blue++;
      if (near(i, color(1))) orange++;
    }
    assert.ok(blue > 40 && orange > 40, `both lines drawn: ${blue}, ${orange} pixels`);
  });

  it("x is log NFE: PARM's N=2 point (50 NFE) sits where log10(50) falls between 36 and 288", () => {
    const svg = frontierSvg(readFrontiers(results)[0]);
    const xs = [...svg.matchAll(/<circle cx="([\d.]+)"[^>]*fill="#ff7f0e"/g)].map((m) => Number(m[1]));
    assert.equal(xs.length, 4);
    const share = (xs[1] - xs[0]) / (xs[3] - xs[0]); // 36 -> 50 over 36 -> 170
    assert.ok(Math.abs(share - Math.log(50 / 36) / Math.log(170 / 36)) < 0.01, `share ${share}`);
  });
});
