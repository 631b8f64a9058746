// The two evaluation charts as SVG, shared by `imagecot report` and the page's dashboard:
// per-tag accuracy bars of every row (with the paper's value for the same method marked on
// each bar) and accuracy against generator cost (NFE per image, log axis).
import type { Tag } from "../geneval/types.js";
import { paperRowFor } from "./paper.js";
import { methodOf, type ResultsRow } from "./results.js";
import { acc, color, esc, f1, svgDoc, text } from "./svg.js";

const GROUPS: { key: Tag | "overall"; label: string }[] = [
  { key: "single_object", label: "single" },
  { key: "two_object", label: "two" },
  { key: "counting", label: "count" },
  { key: "colors", label: "colors" },
  { key: "position", label: "position" },
  { key: "color_attr", label: "attr" },
  { key: "overall", label: "overall" },
];

const value = (r: ResultsRow, key: Tag | "overall"): number | undefined => (key === "overall" ? r.overall : r.by_tag[key]);

function paperValue(r: ResultsRow, key: Tag | "overall"): number | undefined {
  const p = paperRowFor(r.strategy, r.judge);
  if (!p) return undefined;
  return key === "overall" ? p.overall : p.by_tag?.[key];
}

function empty(title: string): string {
  return svgDoc(480, 60, title, [text(12, 34, "no strategy results yet (run imagecot eval --suite ... --out results/NAME.json)", 'fill="#666"')]);
}

/** Grouped bars: one group per tag and overall, one bar per row; a black tick marks the paper. */
export function tagBarsSvg(rows: readonly ResultsRow[]): string {
  const title = "GenEval accuracy by tag";
  if (rows.length === 0) return empty(title);
  const R = rows.length;
  const barW = Math.max(6, Math.min(16, Math.floor(100 / R)));
  const groupW = Math.max(56, R * barW + 16);
  const left = 36, top = 24, plotH = 200;
  const legend = rows.map((r) => {
    const p = paperRowFor(r.strategy, r.judge);
    return `${r.label}: ${methodOf(r)}, overall ${acc(r.overall)}${p ? ` (paper, ${p.label}: ${acc(p.overall)})` : ""}`;
  });
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
      const v = value(r, g.key);
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
  out.push(text(left + 16, ly, "the paper's value for the same method (Show-o, METHOD.md section 5)", 'fill="#444"'));
  return svgDoc(width, height, title, out);
}

/** Overall accuracy against NFE per image; rows of one method at several N join into a curve. */
export function accuracyNfeSvg(rows: readonly ResultsRow[]): string {
  const title = "Accuracy against generator cost";
  const pts = rows.map((r, i) => ({ r, i })).filter(({ r }) => r.nfePerImage !== null && r.nfePerImage > 0);
  if (pts.length === 0) return empty(title);
  const left = 44, top = 24, plotW = 460, plotH = 240, width = left + plotW + 150, height = top + plotH + 40;
  const logs = pts.map(({ r }) => Math.log10(r.nfePerImage!));
  const lo = Math.floor(Math.min(...logs)), hi = Math.max(lo + 1, Math.ceil(Math.max(...logs)));
  const x = (nfe: number) => left + ((Math.log10(nfe) - lo) / (hi - lo)) * plotW;
  const y = (v: number) => top + plotH * (1 - v);
  const out: string[] = [text(left, 15, title, 'font-weight="bold" font-size="13"')];
  for (const t of [0, 0.25, 0.5, 0.75, 1]) {
    out.push(`<line x1="${left}" x2="${left + plotW}" y1="${f1(y(t))}" y2="${f1(y(t))}" stroke="#e4e4e4"/>`);
    out.push(text(left - 4, y(t) + 4, acc(t), 'text-anchor="end" fill="#444"'));
  }
  for (let k = lo; k <= hi; k++)
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** k;
      if (Math.log10(v) > hi) continue;
      out.push(`<line x1="${f1(x(v))}" x2="${f1(x(v))}" y1="${top}" y2="${top + plotH}" stroke="${m === 1 ? "#d0d0d0" : "#eeeeee"}"/>`);
      if (m === 1 || hi - lo <= 2) out.push(text(x(v), top + plotH + 14, String(v), 'text-anchor="middle" fill="#444"'));
    }
  out.push(`<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#444"/>`);
  out.push(text(left + plotW / 2, height - 6, "NFE per image (generator forward passes, each CFG half counted; log scale)", 'text-anchor="middle"'));
  // one curve per method: the same strategy and judge at several N
  const curves = new Map<string, typeof pts>();
  for (const p of pts) {
    const key = `${p.r.strategy}|${p.r.judge}`;
    curves.set(key, [...(curves.get(key) ?? []), p]);
  }
  for (const c of curves.values()) {
    if (c.length < 2) continue;
    const d = [...c].sort((a, b) => a.r.nfePerImage! - b.r.nfePerImage!).map(({ r }) => `${f1(x(r.nfePerImage!))},${f1(y(r.overall))}`);
    out.push(`<polyline points="${d.join(" ")}" fill="none" stroke="${color(c[0].i)}" stroke-width="1.5"/>`);
  }
  for (const { r, i } of pts) {
    const cx = x(r.nfePerImage!), cy = y(r.overall);
    out.push(`<circle cx="${f1(cx)}" cy="${f1(cy)}" r="4" fill="${color(i)}"><title>${esc(`${r.label}: ${methodOf(r)}, ${acc(r.overall)} at ${Math.round(r.nfePerImage!)} NFE`)}</title></circle>`);
    out.push(text(cx + 6, cy - 5, r.label, 'fill="#222"'));
  }
  return svgDoc(width, height, title, out);
}
