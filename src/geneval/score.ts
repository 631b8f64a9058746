// Scoring a set of images, whoever detected their objects: per-image verdicts (the results JSONL),
// the summary, and a GenEval layout folder scored through any detector function.
import { dirname, join, relative } from "node:path";
import { writeResult } from "../util/provenance.js";
import { writeFileAtomic } from "../util/atomic.js";
import { InputError } from "../util/errors.js";
import { listPromptFolders } from "./layout.js";
import { evaluateImage } from "./rules.js";
import { summarize, type Summary } from "./summary.js";
import type { Detection, PromptMeta, Tag } from "./types.js";

/** One image to score: its place in the suite, its metadata and every detection of it. */
export interface ImageInput {
  promptIndex: number;
  sampleIndex: number;
  filename: string | null;
  metadata: PromptMeta;
  detections: Detection[];
  /** the verdict the file itself reports (GenEval's results.jsonl), to compare with ours */
  reported?: boolean;
}

/** One line of results.jsonl. */
export interface ResultRow {
  prompt_index: number;
  sample_index: number;
  filename: string | null;
  tag: Tag;
  prompt: string;
  correct: boolean;
  reasons: string[];
  /** All the detector returned, before thresholds: the verdict can be re-derived from it. */
  detections: Detection[];
}

export function scoreImage(im: ImageInput): ResultRow {
  const { correct, reasons } = evaluateImage(im.metadata, im.detections);
  return {
    prompt_index: im.promptIndex,
    sample_index: im.sampleIndex,
    filename: im.filename,
    tag: im.metadata.tag,
    prompt: im.metadata.prompt,
    correct,
    reasons,
    detections: im.detections,
  };
}

/** The summary of scored rows; samples of a prompt share its prompt index. */
export function summarizeRows(rows: readonly ResultRow[]): Summary {
  if (rows.length === 0) throw new InputError("no images to score");
  return summarize(rows.map((r) => ({ tag: r.tag, promptKey: String(r.prompt_index), correct: r.correct })));
}

/** Detects the objects of one image file (the PNG reader and detector, injected). */
export type DetectFile = (path: string) => Detection[];

function detectWithPath(detectFile: DetectFile, path: string): Detection[] {
  try {
    return detectFile(path);
  } catch (e) {
    // A decoder or detector failure should say which image it was.
    throw new Error(`${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/**
 * Scores every sample of a GenEval layout folder, prompt by prompt, in order. Filenames are
 * relative to the folder; `onProgress(done, total)` after each image.
 */
export function scoreFolder(dir: string, detectFile: DetectFile, onProgress?: (done: number, total: number) => void): ResultRow[] {
  const folders = listPromptFolders(dir);
  const total = folders.reduce((n, f) => n + f.images.length, 0);
  if (total === 0) throw new InputError(`no images in ${dir} (expected ${join(dir, "00000", "samples", "0000.png")}, ...)`);
  const rows: ResultRow[] = [];
  for (const folder of folders) {
    for (const image of folder.images) {
      rows.push(
        scoreImage({
          promptIndex: folder.index,
          sampleIndex: image.index,
          filename: relative(dir, image.path),
          metadata: folder.metadata,
          detections: detectWithPath(detectFile, image.path),
        }),
      );
      onProgress?.(rows.length, total);
    }
  }
  return rows;
}

export function formatResultsJsonl(rows: readonly ResultRow[]): string {
  return rows.map((r) => JSON.stringify(r) + "\n").join("");
}

/** Where results go when only the summary path is given: results.jsonl beside it. */
export function defaultResultsPath(summaryPath: string): string {
  return join(dirname(summaryPath), "results.jsonl");
}

/** Writes the per-image results and the summary (with provenance), each atomically. */
export function writeEvalOutputs(summaryPath: string, resultsPath: string, rows: readonly ResultRow[], summary: Summary): void {
  writeFileAtomic(resultsPath, formatResultsJsonl(rows));
  writeResult(summaryPath, { ...summary, results: resultsPath });
}

const pct = (x: number): string => `${x.toFixed(2)}%`;

/** The summary for people: one line per tag, then the totals (summary_scores.py's figures). */
export function formatSummaryTable(s: Summary): string {
  return [
    ...Object.entries(s.by_tag).map(([tag, acc]) => `${tag.padEnd(16)} ${pct(100 * acc)}`),
    `${"overall".padEnd(16)} ${s.overall.toFixed(5)}`,
    `${"images".padEnd(16)} ${s.images}`,
    `${"correct images".padEnd(16)} ${pct(s.correct_images_pct)}`,
    `${"correct prompts".padEnd(16)} ${pct(s.correct_prompts_pct)}`,
  ].join("\n");
}
