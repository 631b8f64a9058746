// The evaluation report as one self-contained HTML file (charts inline as SVG, samples inline
// as PNG data), the tables the page's dashboard shares with it, and the page shell (style,
// title) the demo's report shares with it.
import { TAGS } from "../geneval/types.js";
import { PAPER_ROWS, paperRowFor } from "./paper.js";
import { methodOf, type ResultsRow } from "./results.js";
import { sampleGridHtml } from "./samples.js";
import { acc, esc } from "../charts/svg.js";

const TAG_HEADS = ["single", "two", "count", "colors", "pos", "attr"];
const cells = (xs: (number | undefined)[]) => xs.map((x) => `<td>${x === undefined ? "-" : acc(x)}</td>`).join("");
const round = (x: number | null) => (x === null ? "-" : String(Math.round(x * 10) / 10));

/** This project's rows: accuracy by tag, overall, cost, and the paper's overall for the same method. */
export function resultsTableHtml(rows: readonly ResultsRow[]): string {
  const head = `<tr><th>row</th><th>method</th>${TAG_HEADS.map((t) => `<th>${t}</th>`).join("")}<th>overall</th><th>NFE / image</th><th>judge calls / image</th><th>paper</th></tr>`;
  const body = rows.map((r) => {
    const p = paperRowFor(r.strategy, r.judge);
    return `<tr><th>${esc(r.label)}</th><td>${esc(methodOf(r))}</td>${cells(TAGS.map((t) => r.by_tag[t]))}<td><b>${acc(r.overall)}</b></td><td>${round(r.nfePerImage)}</td><td>${round(r.judgeCallsPerImage)}</td><td>${p ? `${acc(p.overall)} <small>${esc(p.label)}</small>` : "-"}</td></tr>`;
  });
  return `<table class="results">${head}${body.join("")}</table>`;
}

/** The paper's rows (Show-o on GenEval), as METHOD.md section 5 gives them. */
export function paperTableHtml(): string {
  const head = `<tr><th>paper (Show-o)</th>${TAG_HEADS.map((t) => `<th>${t}</th>`).join("")}<th>overall</th></tr>`;
  const body = PAPER_ROWS.map((p) => `<tr><th>${esc(p.label)}</th>${cells(TAGS.map((t) => p.by_tag?.[t]))}<td><b>${acc(p.overall)}</b></td></tr>`);
  return `<table class="results">${head}${body.join("")}</table>`;
}

const STYLE = `
body { font: 14px/1.4 sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
table.results { border-collapse: collapse; } table.results td, table.results th { padding: 3px 8px; border-bottom: 1px solid #ddd; text-align: right; }
table.results th:first-child, table.results td:nth-child(2) { text-align: left; }
table.samples th.prompt { text-align: left; max-width: 160px; font-weight: normal; }
table.samples td { vertical-align: top; }
figure { display: inline-block; margin: 2px; width: 96px; vertical-align: top; }
figure img { width: 96px; height: 96px; image-rendering: pixelated; border: 3px solid #bbb; box-sizing: border-box; }
figure.ok img { border-color: #2ca02c; } figure.bad img { border-color: #d62728; }
figure.large { width: 192px; } figure.large img { width: 192px; height: 192px; }
figcaption { font-size: 10px; color: #555; }
figure.chosen img { outline: 3px solid #1f77b4; outline-offset: 1px; }
div.selection { display: inline-flex; flex-wrap: wrap; max-width: 480px; vertical-align: top; }
figure.small { width: 56px; } figure.small img { width: 56px; height: 56px; border-width: 2px; }
figure.cut div { width: 56px; height: 56px; box-sizing: border-box; border: 2px dashed #bbb; background: #e6e6e6; color: #777; font-size: 9px; display: flex; align-items: center; justify-content: center; text-align: center; }
table.rounds { border-collapse: collapse; } table.rounds td, table.rounds th { padding: 3px 8px; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
`;

/** A self-contained page in the reports' style: `body` is HTML, the title is escaped here. */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${STYLE}</style></head>
<body>
<h1>${esc(title)}</h1>
${body}
</body></html>
`;
}

export interface ReportInput {
  rows: readonly ResultsRow[];
  /** in order, after the results table (./report-charts.ts) */
  charts: readonly { heading: string; svg: string }[];
  source: string;
  date: string;
  /** how the report was made (command, commit, date, machine), shown at its end */
  provenance?: object;
}

export function reportHtml(r: ReportInput): string {
  return htmlPage(
    "imagecot evaluation report",
    `<p>${r.rows.length} strategy row(s) from <code>${esc(r.source)}</code>, ${esc(r.date)}. GenEval rules over the shapes world's suite; the paper's numbers are Show-o on real GenEval, for orientation, not a like-for-like comparison.</p>
<h2>Results</h2>
${resultsTableHtml(r.rows)}
${r.charts.map((c) => `<h2>${esc(c.heading)}</h2>\n${c.svg}`).join("\n")}
<h2>The paper's rows</h2>
${paperTableHtml()}
<h2>Samples: chosen images and their paths</h2>
<p>Framed green when the detector finds the image correct, red when not (hover for the reason); the caption tells what became of the other paths. Where the evaluation kept them (the first image of each prompt), the paths the strategy rejected follow the chosen image (outlined blue), captioned with the judge's score: outcome on a final image, potential where the judge cut the path or PARM's survivor budget stopped it (greyed: a cut or stopped path has no final image).</p>
${sampleGridHtml(r.rows)}${r.provenance ? `\n<details><summary>How this report was made</summary><pre id="provenance">${esc(JSON.stringify(r.provenance, null, 2))}</pre></details>` : ""}`,
  );
}
