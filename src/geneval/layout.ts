// GenEval's image folder layout: OUT/00000/metadata.jsonl (that prompt's metadata, one line) and
// OUT/00000/samples/0000.png, 0001.png, ... (README's naming; any digits are read, as GenEval does).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../util/atomic.js";
import { InputError } from "../util/errors.js";
import { isFolder, requireFolder } from "../util/folder.js";
import { formatMetadata, parseMetadata, type MetadataOptions } from "./metadata.js";
import type { PromptMeta } from "./types.js";

export function promptDir(out: string, promptIndex: number): string {
  return join(out, String(promptIndex).padStart(5, "0"));
}

export function samplePath(out: string, promptIndex: number, sampleIndex: number): string {
  return join(promptDir(out, promptIndex), "samples", `${String(sampleIndex).padStart(4, "0")}.png`);
}

/** Writes OUT/NNNNN/metadata.jsonl as GenEval's generator does (json.dump: one line, no newline). */
export function writePromptMetadata(out: string, promptIndex: number, meta: PromptMeta): void {
  writeFileAtomic(join(promptDir(out, promptIndex), "metadata.jsonl"), formatMetadata(meta));
}

/** Writes one sample's PNG bytes to OUT/NNNNN/samples/SSSS.png. */
export function writeSample(out: string, promptIndex: number, sampleIndex: number, png: Uint8Array): void {
  writeFileAtomic(samplePath(out, promptIndex, sampleIndex), png);
}

/** A whole prompt folder: its metadata and its samples 0000.png, 0001.png, ... in order. */
export function writePromptFolder(out: string, promptIndex: number, meta: PromptMeta, pngs: readonly Uint8Array[]): void {
  writePromptMetadata(out, promptIndex, meta);
  pngs.forEach((png, s) => writeSample(out, promptIndex, s, png));
}

export interface PromptFolder {
  /** The folder name as a number (00012 -> 12). */
  index: number;
  dir: string;
  metadata: PromptMeta;
  /** Samples by their number, ascending. */
  images: { index: number; path: string }[];
}

/** Reads a prompt folder's metadata.jsonl: one JSON object (GenEval json.loads the whole file). */
export function readPromptMetadata(dir: string, opts: MetadataOptions = {}): PromptMeta {
  const path = join(dir, "metadata.jsonl");
  if (!existsSync(path)) throw new InputError(`missing ${path}`);
  const lines = readFileSync(path, "utf8").split("\n").filter((l) => l.trim() !== "");
  if (lines.length !== 1) throw new InputError(`${path}: expected one line of metadata, found ${lines.length}`);
  return parseMetadata(lines[0], path, opts);
}

/** The prompt folders of OUT (all-digit names), in numeric order, with their images in order. */
export function listPromptFolders(out: string, opts: MetadataOptions = {}): PromptFolder[] {
  requireFolder(out);
  return readdirSync(out)
    .filter((name) => /^\d+$/.test(name) && isFolder(join(out, name)))
    .map((name) => {
      const dir = join(out, name);
      const samples = join(dir, "samples");
      if (!isFolder(samples)) throw new InputError(`missing folder ${samples}`);
      const images = readdirSync(samples)
        .flatMap((file) => {
          const m = /^(\d+)\.png$/.exec(file);
          const path = join(samples, file);
          return m && statSync(path).isFile() ? [{ index: Number(m[1]), path }] : [];
        })
        .sort((a, b) => a.index - b.index);
      return { index: Number(name), dir, metadata: readPromptMetadata(dir, opts), images };
    })
    .sort((a, b) => a.index - b.index);
}
