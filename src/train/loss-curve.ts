// A training run's loss curve, from its log: SVG, rasterised to PNG.
import { lineChartSvg } from "../charts/line.js";
import { svgToPng } from "../charts/raster.js";
import { writeFileAtomic } from "../util/atomic.js";
import { readTrainLog } from "./log.js";

/** Writes the curve of the logged metrics (log y axis); nothing while the log is still empty. */
export function writeLossCurve(logPath: string, metrics: string[], title: string, out: string): void {
  const log = readTrainLog(logPath);
  if (log.length === 0) return;
  const series = metrics.map((m) => ({ name: m, points: log.filter((e) => Number.isFinite(e[m])).map((e): [number, number] => [e.step, e[m]]) }));
  writeFileAtomic(out, svgToPng(lineChartSvg({ title, xLabel: "step", yLabel: metrics.join(", "), series, logY: true })));
}
