// A line chart as SVG: titled axes (linear or log), grid, series with an optional marker per
// point, and a legend below. Loss curves use it; so can any chart of numbers against numbers.
import { color, esc, f1, svgDoc, text } from "./svg.js";
import { logTicks, niceTicks, tickLabel } from "./ticks.js";

export interface LineSeries {
  name: string;
  points: [number, number][];
  color?: string; // default: the palette by series index
  dashed?: boolean; // a reference line (a ceiling, a target) rather than a measured method
  tips?: string[]; // with markers: each point's hover text, by index into points
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  logX?: boolean;
  logY?: boolean;
  yRange?: [number, number];
  markers?: boolean;
  width?: number;
  height?: number;
}

export function lineChartSvg(c: LineChart): string {
  const W = c.width ?? 640;
  const legendH = 16 * c.series.length + 8;
  const H = (c.height ?? 360) + legendH;
  const [left, right, top, bottom] = [64, W - 16, 32, H - legendH - 44];
  const pts = c.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!c.logX || x > 0) && (!c.logY || y > 0));
  if (pts.length === 0) return svgDoc(W, 60, c.title, [text(12, 34, `${c.title}: nothing to plot yet`, 'fill="#666"')]);
  const tx = (v: number) => (c.logX ? Math.log10(v) : v);
  const ty = (v: number) => (c.logY ? Math.log10(v) : v);
  const span = (vs: number[], fixed?: [number, number]): [number, number] => {
    const [lo, hi] = fixed ?? [Math.min(...vs), Math.max(...vs)];
    return hi > lo ? [lo, hi] : [lo - 0.5, hi + 0.5];
  };
  const [x0, x1] = span(pts.map(([x]) => tx(x)));
  const [y0, y1] = span(pts.map(([, y]) => ty(y)), c.yRange && (c.logY ? [ty(c.yRange[0]), ty(c.yRange[1])] : c.yRange));
  const X = (v: number) => left + ((tx(v) - x0) / (x1 - x0)) * (right - left);
  const Y = (v: number) => bottom - ((ty(v) - y0) / (y1 - y0)) * (bottom - top);
  const out: string[] = [text(left, 20, c.title, 'font-size="13" font-weight="bold"')];
  const xt = c.logX ? logTicks(x0, x1) : niceTicks(x0, x1);
  const yt = c.logY ? logTicks(y0, y1) : niceTicks(y0, y1);
  for (const v of yt) {
    out.push(`<line x1="${left}" x2="${right}" y1="${f1(Y(v))}" y2="${f1(Y(v))}" stroke="#e4e4e4"/>`);
    out.push(text(left - 4, Y(v) + 4, tickLabel(v), 'text-anchor="end" fill="#444"'));
  }
  for (const v of xt) out.push(text(X(v), bottom + 14, tickLabel(v), 'text-anchor="middle" fill="#444"'));
  out.push(`<rect x="${left}" y="${top}" width="${right - left}" height="${bottom - top}" fill="none" stroke="#888"/>`);
  out.push(text((left + right) / 2, bottom + 32, c.xLabel, 'text-anchor="middle"'));
  out.push(text(14, (top + bottom) / 2, c.yLabel, `text-anchor="middle" transform="rotate(-90 14 ${f1((top + bottom) / 2)})"`));
  c.series.forEach((s, i) => {
    const col = s.color ?? color(i);
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : "";
    const ok = s.points.flatMap(([x, y], k) => (Number.isFinite(x) && Number.isFinite(y) && (!c.logX || x > 0) && (!c.logY || y > 0) ? [{ x, y, tip: s.tips?.[k] }] : []));
    if (ok.length > 0) out.push(`<polyline fill="none" stroke="${col}" stroke-width="1.5"${dash} points="${ok.map(({ x, y }) => `${f1(X(x))},${f1(Y(y))}`).join(" ")}"/>`);
    if (c.markers) for (const { x, y, tip } of ok) out.push(`<circle cx="${f1(X(x))}" cy="${f1(Y(y))}" r="3" fill="${col}">${tip === undefined ? "" : `<title>${esc(tip)}</title>`}</circle>`);
    const ly = H - legendH + 4 + 16 * i;
    out.push(`<line x1="${left}" x2="${left + 18}" y1="${ly + 8}" y2="${ly + 8}" stroke="${col}" stroke-width="2"${dash}/>`);
    out.push(text(left + 24, ly + 12, s.name));
  });
  return svgDoc(W, H, c.title, out);
}
