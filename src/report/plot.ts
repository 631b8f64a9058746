// Charts as PNG images with no font files or rasteriser: a pixel canvas with the 3x5 font, and
// line charts (loss curves, accuracy against cost or training pairs) with axes, ticks, labels
// and a legend. Bar charts are in ./bars.ts.
import { createImage, type RGBImage } from "../shapes/image.js";
import { drawText, textWidth } from "./font.js";

export type RGB = readonly [number, number, number];

export const INK: RGB = [40, 40, 40];
export const GRID: RGB = [225, 225, 225];

/** "#1f77b4" as [31, 119, 180]: the SVG charts' palette for the PNG ones. */
export const rgb = (hex: string): RGB => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as unknown as RGB;

export interface Canvas {
  img: RGBImage;
  set(x: number, y: number, c: RGB): void;
  /** the rectangle [x0, x1] x [y0, y1], inclusive */
  fill(x0: number, y0: number, x1: number, y1: number, c: RGB): void;
  text(s: string, x: number, y: number, c?: RGB, scale?: number): void;
}

/** A white canvas; drawing outside it is clipped. */
export function canvas(W: number, H: number): Canvas {
  const img = createImage(W, H);
  img.data.fill(255);
  const set = (x: number, y: number, c: RGB) => {
    const [px, py] = [Math.round(x), Math.round(y)];
    if (px < 0 || py < 0 || px >= W || py >= H) return;
    img.data.set(c, (py * W + px) * 3);
  };
  return {
    img,
    set,
    fill(x0, y0, x1, y1, c) {
      for (let y = Math.round(y0); y <= Math.round(y1); y++) for (let x = Math.round(x0); x <= Math.round(x1); x++) set(x, y, c);
    },
    text(s, x, y, c = INK, scale = 1) {
      drawText(s, x, y, scale, (px, py) => set(px, py, c));
    },
  };
}

/** Round tick values covering [lo, hi]: steps of 1, 2 or 5 times a power of ten. */
export function niceTicks(lo: number, hi: number, target = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / target;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw)!;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** Ticks for a log axis given log10 bounds: 1, 2 and 5 times powers of ten (only 1x when dense). */
export function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let k = Math.floor(lo); k <= Math.ceil(hi); k++) for (const m of [1, 2, 5]) out.push(m * 10 ** k);
  const inRange = out.filter((v) => Math.log10(v) >= lo && Math.log10(v) <= hi);
  return inRange.length > 8 ? inRange.filter((v) => Number(v.toExponential(0)[0]) === 1) : inRange;
}

export function tickLabel(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 10000 || a < 0.001) return v.toExponential(0).replace("e+", "E").replace("e-", "E-");
  return String(Number(v.toPrecision(3)));
}

/** Height of a legend of n entries drawn by `legend`. */
export const legendHeight = (n: number): number => (n > 0 ? n * 10 + 6 : 0);

/** One line per entry, a colour swatch then the name, from (x, y) downwards. */
export function legend(c: Canvas, entries: readonly { name: string; color: RGB }[], x: number, y: number): void {
  entries.forEach((e, i) => {
    const ly = y + 4 + i * 10;
    c.fill(x, ly, x + 13, ly + 1, e.color);
    c.text(e.name, x + 18, ly - 2);
  });
}

/** Horizontal grid lines with labels on the left, for the ticks inside [top, bottom]. */
export function yGrid(c: Canvas, ticks: readonly number[], py: (v: number) => number, left: number, right: number, top: number, bottom: number): void {
  for (const t of ticks) {
    const y = py(t);
    if (y < top - 0.5 || y > bottom + 0.5) continue;
    c.fill(left, y, right, y, GRID);
    const s = tickLabel(t);
    c.text(s, left - 6 - textWidth(s), y - 2);
  }
}

/** A chart that has nothing to show: its title and why. */
export function messagePlot(title: string, message: string): RGBImage {
  const c = canvas(Math.max(320, textWidth(message) + 24, textWidth(title, 2) + 24), 56);
  c.text(title, 12, 8, INK, 2);
  c.text(message, 12, 34, [102, 102, 102]);
  return c.img;
}

export interface Series {
  name: string;
  points: [number, number][];
  color: RGB;
}

export interface LinePlot {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  logX?: boolean;
  logY?: boolean;
  /** a fixed y range (accuracies: [0, 1]); else the data's, padded by 5% */
  yRange?: [number, number];
  /** a dot on every point: for a few measured points rather than a dense curve */
  markers?: boolean;
  width?: number;
  /** of the plot; the legend below adds to it */
  height?: number;
}

export function linePlot(p: LinePlot): RGBImage {
  const W = p.width ?? 640;
  const H = p.height ?? 400;
  const c = canvas(W, H + legendHeight(p.series.length));
  const left = 60, right = W - 20, top = 34, bottom = H - 44;
  const shown = ([x, y]: [number, number]) => (!p.logX || x > 0) && (!p.logY || y > 0);
  const all = p.series.flatMap((s) => s.points).filter(shown);
  if (all.length === 0) throw new Error(`plot '${p.title}': no points to draw`);
  const tx = (x: number) => (p.logX ? Math.log10(x) : x);
  const ty = (y: number) => (p.logY ? Math.log10(y) : y);
  const xs = all.map(([x]) => tx(x)), ys = all.map(([, y]) => ty(y));
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  if (x1 === x0) [x0, x1] = p.logX ? [x0 - 0.5, x1 + 0.5] : [x0, x0 + 1];
  if (p.markers) [x0, x1] = [x0 - (x1 - x0) * 0.04, x1 + (x1 - x0) * 0.04]; // no dot on the frame
  let [y0, y1] = p.yRange ? [ty(p.yRange[0]), ty(p.yRange[1])] : [Math.min(...ys), Math.max(...ys)];
  if (!p.yRange) {
    if (y1 === y0) [y0, y1] = [y0 - 0.5, y1 + 0.5];
    const pad = (y1 - y0) * 0.05;
    [y0, y1] = [y0 - pad, y1 + pad];
  }
  const px = (x: number) => left + ((tx(x) - x0) / (x1 - x0)) * (right - left);
  const py = (y: number) => bottom - ((ty(y) - y0) / (y1 - y0)) * (bottom - top);

  // grid and tick labels
  for (const t of p.logX ? logTicks(x0, x1) : niceTicks(x0, x1)) {
    c.fill(px(t), top, px(t), bottom, GRID);
    const s = tickLabel(t);
    c.text(s, px(t) - textWidth(s) / 2, bottom + 6);
  }
  yGrid(c, p.logY ? logTicks(y0, y1) : niceTicks(y0, y1), py, left, right, top, bottom);
  c.fill(left, bottom, right, bottom, INK);
  c.fill(left, top, left, bottom, INK);

  // series: straight segments between consecutive points, drawn 2 pixels wide
  for (const s of p.series) {
    const pts = s.points.filter(shown);
    for (let i = 1; i < pts.length; i++) {
      const [ax, ay, bx, by] = [px(pts[i - 1][0]), py(pts[i - 1][1]), px(pts[i][0]), py(pts[i][1])];
      const n = Math.max(1, Math.ceil(Math.hypot(bx - ax, by - ay)));
      for (let k = 0; k <= n; k++) c.fill(ax + ((bx - ax) * k) / n, ay + ((by - ay) * k) / n, ax + ((bx - ax) * k) / n, ay + ((by - ay) * k) / n + 1, s.color);
    }
    if (p.markers) for (const [x, y] of pts) c.fill(px(x) - 2, py(y) - 2, px(x) + 2, py(y) + 2, s.color);
    else if (pts.length === 1) c.fill(px(pts[0][0]) - 2, py(pts[0][1]), px(pts[0][0]) + 2, py(pts[0][1]), s.color);
  }

  // title, axis labels, legend
  c.text(p.title, (W - textWidth(p.title, 2)) / 2, 8, INK, 2);
  c.text(p.xLabel, (left + right - textWidth(p.xLabel)) / 2, H - 16);
  c.text(p.yLabel + (p.logY ? " (LOG)" : ""), 4, top - 12);
  legend(c, p.series, left, H);
  return c.img;
}
