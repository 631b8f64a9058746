// `imagecot eval`: GenEval's verdicts and summary for a layout folder (through the project's
// detector) or for detections made by any external detector.
import { join } from "node:path";
import { Command } from "commander";
import { readDetectionsFile } from "../geneval/detections.js";
import { defaultResultsPath, formatSummaryTable, scoreFolder, scoreImage, summarizeRows, writeEvalOutputs, type ResultRow } from "../geneval/score.js";
import type { Detection } from "../geneval/types.js";
import { detect } from "../shapes/detector.js";
import { readPng } from "../shapes/image.js";
import { userInput } from "./geneval.js";
import { UserError } from "./run.js";

/** The project's detector on one PNG file: the only place eval touches pixels. */
function detectPng(path: string): Detection[] {
  return detect(readPng(path));
}

interface EvalOptions {
  detections?: string;
  json?: boolean;
  out?: string;
  results?: string;
}

const DETECTIONS_HELP = `
Layout (DIR): DIR/00000/metadata.jsonl (one line of GenEval metadata), DIR/00000/samples/0000.png, ...
Writes DIR/summary.json (or --out) and results.jsonl beside it (or --results): one row per image
{prompt_index, sample_index, filename, tag, prompt, correct, reasons, detections}.

--detections FILE.jsonl: one row per image, scored by the same rules:
  {"metadata": {...GenEval metadata...},
   "detections": [{"class": "clock", "box": [x0, y0, x1, y1], "confidence": 0.97, "color": "red"}],
   "prompt_index": 12, "filename": "..."}
  box in pixels (y downwards), color one of GenEval's ten, prompt_index and filename optional.
  Samples of one prompt share prompt_index (given on every row or none) or else the prompt text.
  Nothing is written unless --out is given.
`;

function report(rows: ResultRow[], opts: EvalOptions, summaryPath: string | undefined): void {
  const summary = userInput(() => summarizeRows(rows));
  if (summaryPath !== undefined) {
    const resultsPath = opts.results ?? defaultResultsPath(summaryPath);
    writeEvalOutputs(summaryPath, resultsPath, rows, summary);
    if (!opts.json) process.stderr.write(`wrote ${summaryPath} and ${resultsPath}\n`);
  }
  process.stdout.write(opts.json ? JSON.stringify(summary) + "\n" : formatSummaryTable(summary) + "\n");
}

export function registerEval(program: Command): void {
  program
    .command("eval")
    .description("score images by GenEval's rules: a GenEval layout folder, or --detections from any detector")
    .argument("[dir]", "GenEval layout folder of PNG samples")
    .option("--detections <file>", "score this detections JSONL instead of a folder (format below)")
    .option("--json", "print the summary as one JSON object")
    .option("--out <file>", "summary JSON to write (default DIR/summary.json)")
    .option("--results <file>", "per-image results JSONL to write (default results.jsonl beside the summary)")
    .addHelpText("after", DETECTIONS_HELP)
    .action((dir: string | undefined, opts: EvalOptions) => {
      if ((dir === undefined) === (opts.detections === undefined)) throw new UserError("give a folder DIR or --detections FILE (exactly one)");
      if (opts.detections !== undefined) {
        const file = opts.detections;
        const rows = userInput(() => readDetectionsFile(file)).map(scoreImage);
        report(rows, opts, opts.out);
        return;
      }
      const folder = dir as string;
      const progress = !opts.json && process.stderr.isTTY;
      const rows = userInput(() =>
        scoreFolder(folder, detectPng, progress ? (done, total) => process.stderr.write(`\rscoring ${done}/${total}`) : undefined),
      );
      if (progress) process.stderr.write("\n");
      report(rows, opts, opts.out ?? join(folder, "summary.json"));
    });
}
