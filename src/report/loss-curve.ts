// A training run's loss curve as PNG, from its log.
import { existsSync } from "node:fs";
import { writePng } from "../shapes/image.js";
import { readTrainLog } from "../train/log.js";
import { linePlot } from "./plot.js";

const COLORS: [number, number, number][] = [
  [31, 119, 180],
  [214, 39, 40],
  [44, 160, 44],
  [148, 103, 189],
];

/** Writes the curve of the logged metrics; nothing while the log is still empty. */
export function writeLossCurve(logPath: string, metrics: string[], title: string, out: string): void {
  const log = existsSync(logPath) ? readTrainLog(logPath) : [];
  if (log.length === 0) return;
  const series = metrics.map((m, i) => ({
    name: m,
    color: COLORS[i % COLORS.length],
    points: log.filter((e) => Number.isFinite(e[m])).map((e): [number, number] => [e.step, e[m]]),
  }));
  writePng(out, linePlot({ title, xLabel: "step", yLabel: metrics.join(", "), series, logY: true }));
}
