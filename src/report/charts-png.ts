// The report's charts as PNG files, plotting what ./charts.ts computes for the SVG ones.
import type { RGBImage } from "../shapes/image.js";
import { barPlot } from "./bars.js";
import { DPO_PAIRS_TITLE, GROUPS, NO_DPO_EVALS, NO_ROWS, nfeCurves, paperValue, tagLegend, tagValue } from "./charts.js";
import type { PairsLine } from "./dpo.js";
import { linePlot, messagePlot, rgb } from "./plot.js";
import type { ResultsRow } from "./results.js";
import { color } from "./svg.js";

export function tagBarsPng(rows: readonly ResultsRow[]): RGBImage {
  const title = "GenEval accuracy by tag";
  if (rows.length === 0) return messagePlot(title, NO_ROWS);
  return barPlot({
    title,
    yLabel: "accuracy",
    groups: GROUPS.map((g) => g.label),
    series: rows.map((r, i) => ({
      name: tagLegend(r),
      color: rgb(color(i)),
      values: GROUPS.map((g) => tagValue(r, g.key)),
      marks: GROUPS.map((g) => paperValue(r, g.key)),
    })),
    yMax: 1,
    note: "black ticks: the paper's value for the same method (Show-o)",
  });
}

export function accuracyNfePng(rows: readonly ResultsRow[]): RGBImage {
  const title = "Accuracy against generator cost";
  const { curves } = nfeCurves(rows);
  if (curves.length === 0) return messagePlot(title, NO_ROWS);
  return linePlot({
    title,
    xLabel: "NFE per image (generator forward passes, each CFG half counted; log scale)",
    yLabel: "overall accuracy",
    series: curves.map((c) => ({
      name: `${c.map(({ r }) => r.label).join(", ")}: ${c[0].r.strategy}${c[0].r.judge ? ` (${c[0].r.judge})` : ""}`,
      color: rgb(color(c[0].i)),
      points: c.map(({ r }): [number, number] => [r.nfePerImage!, r.overall]),
    })),
    logX: true,
    yRange: [0, 1],
    markers: true,
  });
}

export function dpoPairsPng(lines: readonly PairsLine[]): RGBImage {
  if (lines.length === 0) return messagePlot(DPO_PAIRS_TITLE, NO_DPO_EVALS);
  return linePlot({
    title: DPO_PAIRS_TITLE,
    xLabel: "preference pairs trained on (cumulative over rounds; 0: the starting weights)",
    yLabel: "overall accuracy",
    series: lines.map((l, i) => ({ name: l.name, color: rgb(color(i)), points: l.points.map((p): [number, number] => [p.pairs, p.overall]) })),
    yRange: [0, 1],
    markers: true,
  });
}
