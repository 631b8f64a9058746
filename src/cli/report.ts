// `imagecot report RESULTS --out report.html`: one self-contained HTML report of every strategy
// row in a results folder (tables, per-tag bars, accuracy against NFE, the compute frontier
// when the folder has one, accuracy against DPO training pairs when it has DPO runs, sample
// grids of chosen and rejected paths), and each chart beside it as SVG and PNG files.
import { Command, Option } from "commander";
import { provenance } from "../util/provenance.js";
import { dpoPairsLines, readDpoRuns } from "../report/dpo.js";
import { reportHtml } from "../report/html.js";
import { readFrontiers } from "../report/frontier.js";
import { reportCharts } from "../report/report-charts.js";
import { readResultsDir } from "../report/results.js";
import { withMetadata } from "../charts/svg.js";
import { writeFileAtomic } from "../util/atomic.js";
import { isFolder } from "../util/folder.js";
import { UserError } from "./run.js";

const CHART_FORMATS = ["both", "svg", "png"] as const;
type ChartFormat = (typeof CHART_FORMATS)[number];

interface ReportOptions {
  out: string;
  charts: ChartFormat;
  json?: boolean;
  quiet?: boolean;
}

export interface ReportOutput {
  report: string;
  charts: string[];
  rows: string[];
}

/** Writes OUT and, per chart, OUT's stem + -NAME.svg and/or .png (-by-tag, -accuracy-nfe, -frontier, -dpo-pairs). */
export function writeReport(dir: string, o: Pick<ReportOptions, "out"> & Partial<Pick<ReportOptions, "charts">>, date = new Date().toISOString()): ReportOutput {
  if (!isFolder(dir)) throw new UserError(`not a folder: ${dir}`);
  const { rows, dpo, frontiers } = (() => {
    try {
      return { rows: readResultsDir(dir), dpo: readDpoRuns(dir), frontiers: readFrontiers(dir) };
    } catch (e) {
      throw new UserError((e as Error).message, 1);
    }
  })();
  if (rows.length === 0) throw new UserError(`no strategy results in ${dir} (write some with 'imagecot eval --suite FILE --strategy NAME --out ${dir}/NAME.json')`);
  const charts = reportCharts(rows, dpo.length > 0 ? dpoPairsLines(dpo, rows) : null, frontiers);
  const formats = o.charts ?? "both";
  const stem = o.out.replace(/\.html?$/i, "");
  const made = provenance();
  writeFileAtomic(o.out, reportHtml({ rows, charts, source: dir, date, provenance: made }));
  const write = (file: string, data: string | Uint8Array) => (writeFileAtomic(file, data), file);
  const written = charts.flatMap((c) => [
    ...(formats === "png" ? [] : [write(`${stem}-${c.name}.svg`, withMetadata(c.svg, made) + "\n")]),
    ...(formats === "svg" ? [] : [write(`${stem}-${c.name}.png`, c.png())]),
  ]);
  return { report: o.out, charts: written, rows: rows.map((r) => r.label) };
}

export function registerReport(program: Command): void {
  program
    .command("report")
    .description("write an HTML report (and its charts as SVG and PNG) of every strategy's results, beside the paper's")
    .argument("<results-dir>", "folder of results files written by 'imagecot eval --suite ... --out' (and 'imagecot train dpo --results')")
    .option("--out <file>", "report to write; the charts go beside it", "report.html")
    .addOption(new Option("--charts <format>", "chart files to write beside the report (the HTML always has them inline as SVG)").choices(CHART_FORMATS).default("both"))
    .option("--json", "print what was written as one JSON object")
    .option("--quiet", "print nothing on success")
    .addHelpText(
      "after",
      `
Reads every DIR/*.json that 'imagecot eval --suite' wrote (other files are skipped); sample images
come from each row's images_dir when it is still on disk, with the paths the strategy rejected for
each prompt's first image where the evaluation kept them (greyed where the judge cut the path).

Charts, each written as OUT-NAME.svg and OUT-NAME.png (--charts svg or png for one of the two):
  by-tag         accuracy per GenEval tag and overall, every row, the paper's value marked
  accuracy-nfe   overall accuracy against NFE per image (log scale)
  frontier       only when DIR has 'imagecot bench frontier --out' files (results/frontier.json):
                 best-of-N and PARM at several N from one recording, overall score against NFE
                 per image (log scale), the detector's oracle dashed; one chart a file
  dpo-pairs      only when DIR has 'imagecot train dpo --results' files: overall accuracy against
                 the preference pairs trained on so far, one line per DPO run and evaluation
                 setting, from the evaluation of the run's starting weights (0 pairs) through
                 each round's (matched by the evaluation's --generator, relative paths taken
                 from DIR's parent folder)

Exit codes: 0 written, 1 unreadable results, 2 bad arguments or no results.

Examples:
  imagecot report results/ --out report.html
  imagecot report results/ --out runs/report/index.html --charts svg --json
`,
    )
    .action((dir: string, o: ReportOptions) => {
      const r = writeReport(dir, o);
      if (o.json) process.stdout.write(JSON.stringify(r) + "\n");
      else if (!o.quiet) process.stdout.write(`wrote ${r.report} (${r.rows.length} rows) and ${r.charts.join(", ")}\n`);
    });
}
