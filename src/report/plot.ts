// Line charts as PNG images (loss curves, accuracy against cost): axes, ticks, labels, legend.
import { createImage, type RGBImage } from "../shapes/image.js";
import { drawText, textWidth } from "./font.js";

export interface Series {
  name: string;
  points: [number, number][];
  color: [number, number, number];
}

export interface LinePlot {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  logY?: boolean;
  width?: number;
  height?: number;
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

function label(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 10000 || a < 0.001) return v.toExponential(0).replace("e+", "E").replace("e-", "E-");
  return String(Number(v.toPrecision(3)));
}

export function linePlot(p: LinePlot): RGBImage {
  const W = p.width ?? 640;
  const H = p.height ?? 400;
  const img = createImage(W, H);
  img.data.fill(255);
  const set = (x: number, y: number, c: readonly number[]) => {
    if (x < 0 || y < 0 || x >= W || y >= H) return;
    const i = (Math.round(y) * W + Math.round(x)) * 3;
    img.data[i] = c[0];
    img.data[i + 1] = c[1];
    img.data[i + 2] = c[2];
  };
  const ink = [40, 40, 40];
  const grid = [225, 225, 225];
  const left = 60, right = W - 20, top = 34, bottom = H - 44;
  const all = p.series.flatMap((s) => s.points).filter(([, y]) => !p.logY || y > 0);
  if (all.length === 0) throw new Error(`plot '${p.title}': no points to draw`);
  const ty = (y: number) => (p.logY ? Math.log10(y) : y);
  const xs = all.map(([x]) => x), ys = all.map(([, y]) => ty(y));
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs) > x0 ? Math.max(...xs) : x0 + 1;
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y1 === y0) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const pad = (y1 - y0) * 0.05;
  [y0, y1] = [y0 - pad, y1 + pad];
  const px = (x: number) => left + ((x - x0) / (x1 - x0)) * (right - left);
  const py = (y: number) => bottom - ((ty(y) - y0) / (y1 - y0)) * (bottom - top);

  // grid and tick labels
  for (const t of niceTicks(x0, x1)) {
    for (let y = top; y <= bottom; y++) set(px(t), y, grid);
    const s = label(t);
    drawText(s, px(t) - textWidth(s) / 2, bottom + 6, 1, (x, y) => set(x, y, ink));
  }
  const yTicks = p.logY ? logTicks(y0, y1) : niceTicks(y0, y1);
  for (const t of yTicks) {
    const y = py(t);
    if (y < top || y > bottom) continue;
    for (let x = left; x <= right; x++) set(x, y, grid);
    const s = label(t);
    drawText(s, left - 6 - textWidth(s), y - 2, 1, (x, yy) => set(x, yy, ink));
  }
  for (let x = left; x <= right; x++) set(x, bottom, ink);
  for (let y = top; y <= bottom; y++) set(left, y, ink);

  // series: straight segments between consecutive points, drawn 2 pixels wide
  for (const s of p.series) {
    const pts = s.points.filter(([, y]) => !p.logY || y > 0);
    for (let i = 1; i < pts.length; i++) {
      const [ax, ay, bx, by] = [px(pts[i - 1][0]), py(pts[i - 1][1]), px(pts[i][0]), py(pts[i][1])];
      const n = Math.max(1, Math.ceil(Math.hypot(bx - ax, by - ay)));
      for (let k = 0; k <= n; k++) {
        const x = ax + ((bx - ax) * k) / n, y = ay + ((by - ay) * k) / n;
        set(x, y, s.color);
        set(x, y + 1, s.color);
      }
    }
    if (pts.length === 1) for (let d = -2; d <= 2; d++) set(px(pts[0][0]) + d, py(pts[0][1]), s.color);
  }

  // title, axis labels, legend
  drawText(p.title, (W - textWidth(p.title, 2)) / 2, 8, 2, (x, y) => set(x, y, ink));
  drawText(p.xLabel, (left + right - textWidth(p.xLabel)) / 2, H - 16, 1, (x, y) => set(x, y, ink));
  drawText(p.yLabel + (p.logY ? " (LOG)" : ""), 4, top - 12, 1, (x, y) => set(x, y, ink));
  p.series.forEach((s, i) => {
    const y = top + 6 + i * 10;
    for (let x = right - 110; x < right - 96; x++) for (let d = 0; d < 2; d++) set(x, y + d, s.color);
    drawText(s.name, right - 92, y - 2, 1, (x, yy) => set(x, yy, ink));
  });
  return img;
}
