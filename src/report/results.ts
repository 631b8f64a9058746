// The strategy rows of a results folder: every JSON file `imagecot eval --suite` wrote there (it
// has by_tag and settings.strategy). Other results files (benchmarks, training) are skipped.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { TAGS, type Tag } from "../geneval/types.js";

export interface ResultsRow {
  /** the file's name without .json: what the row is called everywhere */
  label: string;
  file: string;
  strategy: string;
  judge: string | null;
  n: number | null;
  overall: number;
  by_tag: Partial<Record<Tag, number>>;
  nfePerImage: number | null;
  judgeCallsPerImage: number | null;
  /** the generated images (GenEval layout), when they are still on disk */
  imagesDir: string | null;
}

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** "parm (fine-tuned), N=20": the method behind a row. */
export function methodOf(r: Pick<ResultsRow, "strategy" | "judge" | "n">): string {
  return `${r.strategy}${r.judge ? ` (${r.judge})` : ""}${r.n !== null && r.strategy !== "none" ? `, N=${r.n}` : ""}`;
}

/** A results file's row, or null when the file is not a strategy evaluation. */
export function parseResultsFile(file: string, text: string, imagesRoot: string): ResultsRow | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
  const o = json as { overall?: unknown; by_tag?: unknown; settings?: { strategy?: unknown; judge?: unknown; n?: unknown }; nfe_per_image?: unknown; judge_calls_per_image?: unknown; images_dir?: unknown };
  if (typeof o !== "object" || o === null || typeof o.settings?.strategy !== "string" || typeof o.by_tag !== "object" || o.by_tag === null) return null;
  const overall = num(o.overall);
  if (overall === null) throw new Error(`${file}: 'overall' is not a number`);
  const by_tag: Partial<Record<Tag, number>> = {};
  for (const tag of TAGS) {
    const v = num((o.by_tag as Record<string, unknown>)[tag]);
    if (v !== null) by_tag[tag] = v;
  }
  const dir = typeof o.images_dir === "string" ? (isAbsolute(o.images_dir) ? o.images_dir : resolve(imagesRoot, o.images_dir)) : null;
  return {
    label: basename(file, ".json"),
    file,
    strategy: o.settings.strategy,
    judge: typeof o.settings.judge === "string" ? o.settings.judge : null,
    n: num(o.settings.n),
    overall,
    by_tag,
    nfePerImage: num(o.nfe_per_image),
    judgeCallsPerImage: num(o.judge_calls_per_image),
    imagesDir: dir !== null && existsSync(dir) ? dir : null,
  };
}

/**
 * Every strategy row in `dir`, by file name. Image folders are recorded relative to where the
 * evaluation ran, the folder holding results/, so they are resolved from there.
 */
export function readResultsDir(dir: string): ResultsRow[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`not a folder: ${dir}`);
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .flatMap((f) => {
      const row = parseResultsFile(join(dir, f), readFileSync(join(dir, f), "utf8"), dirname(resolve(dir)));
      return row ? [row] : [];
    });
}
