// `imagecot report RESULTS --out report.html`: one self-contained HTML report of every strategy
// row in a results folder (tables, per-tag bars, accuracy against NFE, sample grids), and the
// two charts beside it as SVG files.
import { existsSync, statSync } from "node:fs";
import { Command } from "commander";
import { accuracyNfeSvg, tagBarsSvg } from "../report/charts.js";
import { reportHtml } from "../report/html.js";
import { readResultsDir } from "../report/results.js";
import { writeFileAtomic } from "../util/atomic.js";
import { UserError } from "./run.js";

interface ReportOptions {
  out: string;
  json?: boolean;
  quiet?: boolean;
}

export interface ReportOutput {
  report: string;
  charts: string[];
  rows: string[];
}

/** Writes OUT and OUT's stem + -by-tag.svg and -accuracy-nfe.svg. */
export function writeReport(dir: string, o: Pick<ReportOptions, "out">, date = new Date().toISOString()): ReportOutput {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`not a folder: ${dir}`);
  const rows = (() => {
    try {
      return readResultsDir(dir);
    } catch (e) {
      throw new UserError((e as Error).message, 1);
    }
  })();
  if (rows.length === 0) throw new UserError(`no strategy results in ${dir} (write some with 'imagecot eval --suite FILE --strategy NAME --out ${dir}/NAME.json')`);
  const stem = o.out.replace(/\.html?$/i, "");
  const charts = [`${stem}-by-tag.svg`, `${stem}-accuracy-nfe.svg`];
  writeFileAtomic(o.out, reportHtml({ rows, source: dir, date }));
  writeFileAtomic(charts[0], tagBarsSvg(rows) + "\n");
  writeFileAtomic(charts[1], accuracyNfeSvg(rows) + "\n");
  return { report: o.out, charts, rows: rows.map((r) => r.label) };
}

export function registerReport(program: Command): void {
  program
    .command("report")
    .description("write an HTML report (and SVG charts) of every strategy's results, beside the paper's")
    .argument("<results-dir>", "folder of results files written by 'imagecot eval --suite ... --out'")
    .option("--out <file>", "report to write; the charts go beside it", "report.html")
    .option("--json", "print what was written as one JSON object")
    .option("--quiet", "print nothing on success")
    .addHelpText(
      "after",
      `
Reads every DIR/*.json that 'imagecot eval --suite' wrote (other files are skipped); sample images
come from each row's images_dir when it is still on disk. Exit codes: 0 written, 1 unreadable
results, 2 bad arguments or no results.

Examples:
  imagecot report results/ --out report.html
  imagecot report results/ --out runs/report/index.html --json
`,
    )
    .action((dir: string, o: ReportOptions) => {
      const r = writeReport(dir, o);
      if (o.json) process.stdout.write(JSON.stringify(r) + "\n");
      else if (!o.quiet) process.stdout.write(`wrote ${r.report} (${r.rows.length} rows) and ${r.charts.join(", ")}\n`);
    });
}
