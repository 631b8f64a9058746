// The evaluation report's charts in order, each as SVG (inline in the HTML, and a file) and as
// a PNG file rasterised from that SVG.
import { svgToPng } from "../charts/raster.js";
import { DPO_PAIRS_TITLE, accuracyNfeSvg, dpoPairsSvg, frontierSvg, tagBarsSvg } from "./charts.js";
import type { PairsLine } from "./dpo.js";
import type { FrontierFile } from "./frontier.js";
import type { ResultsRow } from "./results.js";

export interface ReportChart {
  /** the files' suffix: report-NAME.svg, report-NAME.png */
  name: string;
  heading: string;
  svg: string;
  /** PNG bytes, rasterised only when asked for: the report may be written without PNGs */
  png: () => Uint8Array;
}

/**
 * By tag, against NFE, one per compute frontier of the folder (results/frontier.json: -frontier),
 * and against DPO pairs when the folder has DPO runs (`dpo` not null).
 */
export function reportCharts(rows: readonly ResultsRow[], dpo: readonly PairsLine[] | null, frontiers: readonly FrontierFile[]): ReportChart[] {
  const chart = (name: string, heading: string, svg: string): ReportChart => ({ name, heading, svg, png: () => svgToPng(svg) });
  const charts = [chart("by-tag", "Accuracy by tag", tagBarsSvg(rows)), chart("accuracy-nfe", "Accuracy against generator cost", accuracyNfeSvg(rows))];
  for (const f of frontiers) charts.push(chart(f.label.startsWith("frontier") ? f.label : `frontier-${f.label}`, `Compute frontier: ${f.label}`, frontierSvg(f)));
  if (dpo) charts.push(chart("dpo-pairs", DPO_PAIRS_TITLE, dpoPairsSvg(dpo)));
  return charts;
}
