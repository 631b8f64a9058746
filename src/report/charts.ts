// The evaluation charts as SVG, shared by `imagecot report` and the page's dashboard: per-tag
// accuracy bars of every row (with the paper's value for the same method marked on each bar),
// accuracy against generator cost (NFE per image, log axis), the compute frontier of one
// recording and, for the report, accuracy against DPO training pairs. What they plot is computed here once; ./charts-png.ts draws the
// same as PNG.
import type { Tag } from "../geneval/types.js";
import type { PairsLine } from "./dpo.js";
import type { FrontierCurve, FrontierFile } from "./frontier.js";
import { lineChartSvg } from "../charts/line.js";
import { paperRowFor } from "./paper.js";
import { niceTicks } from "../charts/ticks.js";
import { methodOf, type ResultsRow } from "./results.js";
import { acc, color, esc, f1, svgDoc, text } from "../charts/svg.js";

export const GROUPS: { key: Tag | "overall"; label: string }[] = [
  { key: "single_object", label: "single" },
  { key: "two_object", label: "two" },
  { key: "counting", label: "count" },
  { key: "colors", label: "colors" },
  { key: "position", label: "position" },
  { key: "color_attr", label: "attr" },
  { key: "overall", label: "overall" },
];

export const tagValue = (r: ResultsRow, key: Tag | "overall"): number | undefined => (key === "overall" ? r.overall : r.by_tag[key]);

export function paperValue(r: ResultsRow, key: Tag | "overall"): number | undefined {
  const p = paperRowFor(r.strategy, r.judge);
  if (!p) return undefined;
  return key === "overall" ? p.overall : p.by_tag?.[key];
}

/** A row's line in the by-tag legend: its method and overall score, and the paper's. */
export function tagLegend(r: ResultsRow): string {
  const p = paperRowFor(r.strategy, r.judge);
  return `${r.label}: ${methodOf(r)}, overall ${acc(r.overall)}${p ? ` (paper, ${p.label}: ${acc(p.overall)})` : ""}`;
}

export const NO_ROWS = "no strategy results yet (run imagecot eval --suite ... --out results/NAME.json)";
export const NO_DPO_EVALS = "no evaluations of DPO weights yet (imagecot eval --suite ... --generator ROUND_WEIGHTS --out results/NAME.json)";

function empty(title: string, message = NO_ROWS): string {
  return svgDoc(Math.max(480, 24 + 6 * message.length), 60, title, [text(12, 34, message, 'fill="#666"')]);
}

/** Rows with a cost, each with its index (its colour), and their curves: one per strategy and judge, by NFE. */
export function nfeCurves(rows: readonly ResultsRow[]): { points: { r: ResultsRow; i: number }[]; curves: { r: ResultsRow; i: number }[][] } {
  const points = rows.map((r, i) => ({ r, i })).filter(({ r }) => r.nfePerImage !== null && r.nfePerImage > 0);
  const curves = new Map<string, typeof points>();
  for (const p of points) {
    const key = `${p.r.strategy}|${p.r.judge}`;
    curves.set(key, [...(curves.get(key) ?? []), p]);
  }
  return { points, curves: [...curves.values()].map((c) => [...c].sort((a, b) => a.r.nfePerImage! - b.r.nfePerImage!)) };
}

/** Horizontal grid lines and labels of an accuracy axis (0 to 1), and the plot's frame. */
function accuracyFrame(out: string[], left: number, top: number, plotW: number, plotH: number): void {
  const y = (v: number) => top + plotH * (1 - v);
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    out.push(`<line x1="${left}" x2="${left + plotW}" y1="${f1(y(t))}" y2="${f1(y(t))}" stroke="#e4e4e4"/>`);
    out.push(text(left - 4, y(t) + 4, acc(t), 'text-anchor="end" fill="#444"'));
  }
  out.push(`<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#444"/>`);
}

/** Grouped bars: one group per tag and overall, one bar per row; a black tick marks the paper. */
export function tagBarsSvg(rows: readonly ResultsRow[]): string {
  const title = "GenEval accuracy by tag";
  if (rows.length === 0) return empty(title);
  const R = rows.length;
  const barW = Math.max(6, Math.min(16, Math.floor(100 / R)));
  const groupW = Math.max(56, R * barW + 16);
  const left = 36, top = 24, plotH = 200;
  const legend = rows.map(tagLegend);
  // wide enough for the groups and for the legend's longest line (about 6 px a character)
  const width = Math.max(left + GROUPS.length * groupW + 10, left + 26 + 6 * Math.max(70, ...legend.map((l) => l.length)));
  const legendTop = top + plotH + 30;
  const height = legendTop + R * 16 + 22;
  const y = (v: number) => top + plotH * (1 - v);
  const out: string[] = [text(left, 15, title, 'font-weight="bold" font-size="13"')];
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    out.push(`<line x1="${left}" x2="${left + GROUPS.length * groupW}" y1="${f1(y(t))}" y2="${f1(y(t))}" stroke="#e4e4e4"/>`);
    out.push(text(left - 4, y(t) + 4, acc(t), 'text-anchor="end" fill="#444"'));
  }
  GROUPS.forEach((g, gi) => {
    const x0 = left + gi * groupW + 8;
    rows.forEach((r, i) => {
      const v = tagValue(r, g.key);
      if (v === undefined) return;
      const x = x0 + i * barW;
      const p = paperValue(r, g.key);
      const tip = `${r.label}: ${g.label} ${acc(v)}${p !== undefined ? ` (paper ${acc(p)})` : ""}`;
      out.push(`<rect x="${f1(x)}" y="${f1(y(v))}" width="${barW - 1}" height="${f1(plotH * v)}" fill="${color(i)}"><title>${esc(tip)}</title></rect>`);
      if (p !== undefined) out.push(`<line x1="${f1(x - 1)}" x2="${f1(x + barW)}" y1="${f1(y(p))}" y2="${f1(y(p))}" stroke="#000" stroke-width="2"/>`);
    });
    out.push(text(x0 + (R * barW) / 2, top + plotH + 16, g.label, 'text-anchor="middle"'));
  });
  out.push(`<line x1="${left}" x2="${left + GROUPS.length * groupW}" y1="${top + plotH}" y2="${top + plotH}" stroke="#444"/>`);
  legend.forEach((line, i) => {
    const ly = legendTop + i * 16;
    out.push(`<rect x="${left}" y="${ly - 9}" width="10" height="10" fill="${color(i)}"/>`);
    out.push(text(left + 16, ly, line));
  });
  const ly = legendTop + R * 16;
  out.push(`<line x1="${left - 1}" x2="${left + 11}" y1="${ly - 4}" y2="${ly - 4}" stroke="#000" stroke-width="2"/>`);
  out.push(text(left + 16, ly, "the paper's value for the same method (Show-o, arXiv 2501.13926)", 'fill="#444"'));
  return svgDoc(width, height, title, out);
}

/** Overall accuracy against NFE per image; rows of one method at several N join into a curve. */
export function accuracyNfeSvg(rows: readonly ResultsRow[]): string {
  const title = "Accuracy against generator cost";
  const { points: pts, curves } = nfeCurves(rows);
  if (pts.length === 0) return empty(title);
  const left = 44, top = 24, plotW = 460, plotH = 240, width = left + plotW + 150, height = top + plotH + 40;
  const logs = pts.map(({ r }) => Math.log10(r.nfePerImage!));
  const lo = Math.floor(Math.min(...logs)), hi = Math.max(lo + 1, Math.ceil(Math.max(...logs)));
  const x = (nfe: number) => left + ((Math.log10(nfe) - lo) / (hi - lo)) * plotW;
  const y = (v: number) => top + plotH * (1 - v);
  const out: string[] = [text(left, 15, title, 'font-weight="bold" font-size="13"')];
  for (let k = lo; k <= hi; k++)
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** k;
      if (Math.log10(v) > hi) continue;
      out.push(`<line x1="${f1(x(v))}" x2="${f1(x(v))}" y1="${top}" y2="${top + plotH}" stroke="${m === 1 ? "#d0d0d0" : "#eeeeee"}"/>`);
      if (m === 1 || hi - lo <= 2) out.push(text(x(v), top + plotH + 14, String(v), 'text-anchor="middle" fill="#444"'));
    }
  accuracyFrame(out, left, top, plotW, plotH);
  out.push(text(left + plotW / 2, height - 6, "NFE per image (generator forward passes, each CFG half counted; log scale)", 'text-anchor="middle"'));
  // one curve per method: the same strategy and judge at several N
  for (const c of curves) {
    if (c.length < 2) continue;
    const d = c.map(({ r }) => `${f1(x(r.nfePerImage!))},${f1(y(r.overall))}`);
    out.push(`<polyline points="${d.join(" ")}" fill="none" stroke="${color(c[0].i)}" stroke-width="1.5"/>`);
  }
  for (const { r, i } of pts) {
    const cx = x(r.nfePerImage!), cy = y(r.overall);
    out.push(`<circle cx="${f1(cx)}" cy="${f1(cy)}" r="4" fill="${color(i)}"><title>${esc(`${r.label}: ${methodOf(r)}, ${acc(r.overall)} at ${Math.round(r.nfePerImage!)} NFE`)}</title></circle>`);
    out.push(text(cx + 6, cy - 5, r.label, 'fill="#222"'));
  }
  return svgDoc(width, height, title, out);
}

export const DPO_PAIRS_TITLE = "GenEval score against DPO training pairs";

/** Overall accuracy against the preference pairs trained on: one line per DPO run and evaluation setting. */
export function dpoPairsSvg(lines: readonly PairsLine[]): string {
  const title = DPO_PAIRS_TITLE;
  if (lines.length === 0) return empty(title, NO_DPO_EVALS);
  const left = 44, top = 24, plotW = 460, plotH = 240;
  const legendTop = top + plotH + 52;
  const width = Math.max(left + plotW + 20, left + 26 + 6 * Math.max(...lines.map((l) => l.name.length)));
  const height = legendTop + lines.length * 16;
  const most = Math.max(1, ...lines.flatMap((l) => l.points.map((p) => p.pairs)));
  const xs = niceTicks(0, most);
  const x = (pairs: number) => left + (pairs / (most * 1.05)) * plotW; // the last dots clear of the frame
  const y = (v: number) => top + plotH * (1 - v);
  const out: string[] = [text(left, 15, title, 'font-weight="bold" font-size="13"')];
  for (const t of xs) {
    out.push(`<line x1="${f1(x(t))}" x2="${f1(x(t))}" y1="${top}" y2="${top + plotH}" stroke="#eeeeee"/>`);
    out.push(text(x(t), top + plotH + 14, String(t), 'text-anchor="middle" fill="#444"'));
  }
  accuracyFrame(out, left, top, plotW, plotH);
  out.push(text(left + plotW / 2, top + plotH + 32, "preference pairs trained on (cumulative over rounds; 0: the starting weights)", 'text-anchor="middle"'));
  lines.forEach((l, i) => {
    out.push(`<polyline points="${l.points.map((p) => `${f1(x(p.pairs))},${f1(y(p.overall))}`).join(" ")}" fill="none" stroke="${color(i)}" stroke-width="1.5"/>`);
    for (const p of l.points) {
      const tip = `${l.name}: ${p.round === 0 ? "starting weights" : `round ${p.round}`}, ${p.pairs} pairs, overall ${acc(p.overall)} (${p.eval})`;
      out.push(`<circle cx="${f1(x(p.pairs))}" cy="${f1(y(p.overall))}" r="4" fill="${color(i)}"><title>${esc(tip)}</title></circle>`);
    }
    const ly = legendTop + i * 16;
    out.push(`<rect x="${left}" y="${ly - 9}" width="10" height="10" fill="${color(i)}"/>`);
    out.push(text(left + 16, ly, l.name));
  });
  return svgDoc(width, height, title, out);
}

/** The compute frontier of one `bench frontier` file: best-of-N and PARM against NFE, the detector's oracle dashed above. */
export function frontierSvg(f: FrontierFile): string {
  const points = (c: FrontierCurve): [number, number][] => c.map((p) => [p.nfe_per_image, p.overall]);
  const ns = (c: FrontierCurve) => `N = ${c.map((p) => p.n).join(", ")}`;
  const tips = (name: string, c: FrontierCurve) => c.map((p) => `${name}, N=${p.n}: ${acc(p.overall)} at ${Math.round(p.nfe_per_image)} NFE`);
  const verdict = f.parmAtOrAbove === null ? "" : `; at or above best-of-N at every NFE budget: ${f.parmAtOrAbove ? "yes" : "no"}`;
  return lineChartSvg({
    title: `Compute frontier (${f.label}, judge ${f.judge})`,
    xLabel: "NFE per image (generator forward passes, each CFG half counted; log scale)",
    yLabel: "GenEval overall",
    logX: true,
    yRange: [0, 1],
    markers: true,
    width: 720,
    series: [
      { name: `best-of-N (ORM), ${ns(f.best_of_n)}`, points: points(f.best_of_n), color: color(0), tips: tips("best-of-N", f.best_of_n) },
      { name: `PARM, ${ns(f.parm)}${verdict}`, points: points(f.parm), color: color(1), tips: tips("PARM", f.parm) },
      { name: "oracle: the detector picks a correct path among the N when there is one (best-of-N's NFE)", points: points(f.oracle), color: "#555", dashed: true, tips: tips("oracle", f.oracle) },
    ],
  });
}
