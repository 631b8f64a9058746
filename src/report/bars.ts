// Grouped bar charts as PNG (per-tag accuracy): one group per category, one bar per series,
// an optional black tick on each bar marking a reference value (the paper's).
import type { RGBImage } from "../shapes/image.js";
import { textWidth } from "./font.js";
import { INK, type RGB, canvas, legend, legendHeight, niceTicks, yGrid } from "./plot.js";

export interface BarSeries {
  name: string;
  color: RGB;
  /** one per group; undefined draws no bar */
  values: (number | undefined)[];
  /** a reference value per group, drawn as a tick across the bar */
  marks?: (number | undefined)[];
}

export interface BarPlot {
  title: string;
  yLabel: string;
  groups: string[];
  series: BarSeries[];
  /** the value axis, from 0 */
  yMax: number;
  /** below the legend: what the ticks mean */
  note?: string;
}

export function barPlot(p: BarPlot): RGBImage {
  const R = Math.max(1, p.series.length);
  const barW = Math.max(6, Math.min(16, Math.floor(100 / R)));
  const groupW = Math.max(56, R * barW + 16);
  const left = 60, top = 34, plotH = 240;
  const bottom = top + plotH;
  const right = left + p.groups.length * groupW;
  const legendTop = bottom + 22;
  const lines = [...p.series.map((s) => s.name), p.note ?? ""];
  const W = Math.max(right + 20, left + 18 + Math.max(...lines.map((l) => textWidth(l))) + 20, textWidth(p.title, 2) + 24);
  const H = legendTop + legendHeight(p.series.length) + (p.note ? 12 : 0);
  const c = canvas(W, H);
  const py = (v: number) => bottom - (Math.min(v, p.yMax) / p.yMax) * plotH;
  yGrid(c, niceTicks(0, p.yMax), py, left, right, top, bottom);
  p.groups.forEach((g, gi) => {
    const x0 = left + gi * groupW + 8;
    p.series.forEach((s, i) => {
      const v = s.values[gi];
      if (v === undefined) return;
      const x = x0 + i * barW;
      if (v > 0) c.fill(x, py(v), x + barW - 2, bottom, s.color);
      const m = s.marks?.[gi];
      if (m !== undefined) c.fill(x - 1, py(m) - 1, x + barW - 1, py(m), INK);
    });
    c.text(g, x0 + (R * barW) / 2 - textWidth(g) / 2, bottom + 6);
  });
  c.fill(left, bottom, right, bottom, INK);
  c.fill(left, top, left, bottom, INK);
  c.text(p.title, (W - textWidth(p.title, 2)) / 2, 8, INK, 2);
  c.text(p.yLabel, 4, top - 12);
  legend(c, p.series, left, legendTop);
  if (p.note) c.text(p.note, left, legendTop + legendHeight(p.series.length) + 2);
  return c.img;
}
