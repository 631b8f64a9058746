// The evaluation report's charts in order, each as SVG (inline in the HTML, and a file) and as
// a PNG file, both drawn from the same computed data.
import type { RGBImage } from "../shapes/image.js";
import { DPO_PAIRS_TITLE, accuracyNfeSvg, dpoPairsSvg, tagBarsSvg } from "./charts.js";
import { accuracyNfePng, dpoPairsPng, tagBarsPng } from "./charts-png.js";
import type { PairsLine } from "./dpo.js";
import type { ResultsRow } from "./results.js";

export interface ReportChart {
  /** the files' suffix: report-NAME.svg, report-NAME.png */
  name: string;
  heading: string;
  svg: string;
  /** drawn only when asked for: the report may be written without PNGs */
  png: () => RGBImage;
}

/** By tag, against NFE, and against DPO pairs when the folder has DPO runs (`dpo` not null). */
export function reportCharts(rows: readonly ResultsRow[], dpo: readonly PairsLine[] | null): ReportChart[] {
  const charts: ReportChart[] = [
    { name: "by-tag", heading: "Accuracy by tag", svg: tagBarsSvg(rows), png: () => tagBarsPng(rows) },
    { name: "accuracy-nfe", heading: "Accuracy against generator cost", svg: accuracyNfeSvg(rows), png: () => accuracyNfePng(rows) },
  ];
  if (dpo) charts.push({ name: "dpo-pairs", heading: DPO_PAIRS_TITLE, svg: dpoPairsSvg(dpo), png: () => dpoPairsPng(dpo) });
  return charts;
}
