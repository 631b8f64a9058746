// The paths a choosing strategy decoded for a prompt's first image but did not choose, kept for
// the report's sample grid: their final images as samples/0000-path07.png (beside the chosen
// samples/0000.png, so they sort together, yet not named as samples, so they are never scored as
// ones) and rejected.json saying which path was chosen and how each other one ended. Only the
// first image of a prompt: about 70 kB a prompt at N=20, whatever --images-per-prompt is.
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { promptDir, samplePath } from "../geneval/layout.js";
import { evaluateImage } from "../geneval/rules.js";
import type { PromptMeta } from "../geneval/types.js";
import { detect } from "../shapes/detector.js";
import { encodePng } from "../shapes/image.js";
import type { StrategyResult } from "../strategies/index.js";
import { writeFileAtomic } from "../util/atomic.js";

const REJECTED_FILE = "rejected.json";

/** The one sample of a prompt whose rejected paths are kept. */
export const REJECTED_SAMPLE = 0;

export interface RejectedRecord {
  path: number;
  /** the final image, relative to the prompt folder; null when the path was cut */
  file: string | null;
  /** the step after which the judge cut the path, or null when it ran to the end */
  cutAfter: number | null;
  /** the judge's last P(yes) on it: potential where it was cut, else the outcome score; null when stopped before it was clear */
  pYes: number | null;
  /** the detector's verdict on the final image (evaluation only: the strategy never saw it) */
  detector: { correct: boolean; reasons: string[] } | null;
}

/** rejected.json: one image's selection. */
export interface RejectedSidecar {
  sample: number;
  chosen: number;
  rejected: RejectedRecord[];
}

/** samples/SSSS-pathKK.png: path k's final image for sample s. */
function rejectedImagePath(out: string, promptIndex: number, sampleIndex: number, path: number): string {
  return samplePath(out, promptIndex, sampleIndex).replace(/\.png$/, `-path${String(path).padStart(2, "0")}.png`);
}

/** Writes the rejected paths' images and rejected.json for one sample of a prompt. */
export function writeRejected(out: string, promptIndex: number, sampleIndex: number, meta: PromptMeta, selection: NonNullable<StrategyResult["selection"]>): void {
  const rejected = selection.rejected.map((r): RejectedRecord => {
    if (!r.image) return { path: r.path, file: null, cutAfter: r.cutAfter, pYes: r.pYes, detector: null };
    const file = rejectedImagePath(out, promptIndex, sampleIndex, r.path);
    writeFileAtomic(file, encodePng(r.image));
    const { correct, reasons } = evaluateImage(meta, detect(r.image));
    return { path: r.path, file: join("samples", basename(file)), cutAfter: r.cutAfter, pYes: r.pYes, detector: { correct, reasons } };
  });
  const sidecar: RejectedSidecar = { sample: sampleIndex, chosen: selection.chosen, rejected };
  writeFileAtomic(join(promptDir(out, promptIndex), REJECTED_FILE), JSON.stringify(sidecar) + "\n");
}

/** A prompt folder's rejected.json, or null where there is none (strategies of one path, older runs). */
export function readRejected(dir: string): RejectedSidecar | null {
  const file = join(dir, REJECTED_FILE);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as RejectedSidecar) : null;
}
