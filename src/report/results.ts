// The strategy rows of a results folder: every JSON file `imagecot eval --suite` wrote there (it
// has by_tag and settings.strategy). Other results files (benchmarks, training) are skipped here;
// DPO training's are read by ./dpo.ts.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { TAGS, type Tag } from "../geneval/types.js";
import { requireFolder } from "../util/folder.js";

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
  /** the generator weights evaluated, as an absolute path (null in files that do not say) */
  generator: string | null;
  /** their content hash (null in files that do not say) */
  generatorHash: string | null;
  imagesPerPrompt: number | null;
  /** the run took every k-th prompt of the suite */
  every: number;
}

/** A finite number, or null for anything else. */
export const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** "parm (fine-tuned), N=20": the method behind a row. */
export function methodOf(r: Pick<ResultsRow, "strategy" | "judge" | "n">): string {
  return `${r.strategy}${r.judge ? ` (${r.judge})` : ""}${r.n !== null && r.strategy !== "none" ? `, N=${r.n}` : ""}`;
}

/** A path as a results file records it (relative to `root`, the folder evaluations ran in), made absolute. */
export const resolvedPath = (p: unknown, root: string): string | null => (typeof p === "string" ? resolve(root, p) : null);

/** A results file's row, or null when the file is not a strategy evaluation. */
export function parseResultsFile(file: string, json: unknown, root: string): ResultsRow | null {
  type Settings = { strategy?: unknown; judge?: unknown; n?: unknown; generator?: unknown; generator_hash?: unknown; images_per_prompt?: unknown; every?: unknown };
  const o = json as { overall?: unknown; by_tag?: unknown; settings?: Settings; nfe_per_image?: unknown; judge_calls_per_image?: unknown; images_dir?: unknown };
  if (typeof o !== "object" || o === null || typeof o.settings?.strategy !== "string" || typeof o.by_tag !== "object" || o.by_tag === null) return null;
  const overall = num(o.overall);
  if (overall === null) throw new Error(`${file}: 'overall' is not a number`);
  const by_tag: Partial<Record<Tag, number>> = {};
  for (const tag of TAGS) {
    const v = num((o.by_tag as Record<string, unknown>)[tag]);
    if (v !== null) by_tag[tag] = v;
  }
  const dir = resolvedPath(o.images_dir, root);
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
    generator: resolvedPath(o.settings.generator, root),
    generatorHash: typeof o.settings.generator_hash === "string" ? o.settings.generator_hash : null,
    imagesPerPrompt: num(o.settings.images_per_prompt),
    every: num(o.settings.every) ?? 1,
  };
}

/**
 * Where the paths in `dir`'s results files are relative to: the folder holding results/, where
 * evaluations and training ran.
 */
export const resultsRoot = (dir: string): string => dirname(resolve(dir));

/** Every JSON file of a results folder, parsed, by file name. */
export function readJsonFiles(dir: string): { file: string; json: unknown }[] {
  requireFolder(dir);
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => {
      const file = join(dir, f);
      try {
        return { file, json: JSON.parse(readFileSync(file, "utf8")) as unknown };
      } catch (e) {
        throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
      }
    });
}

/** Every strategy row in `dir`, by file name. */
export function readResultsDir(dir: string): ResultsRow[] {
  return readJsonFiles(dir).flatMap(({ file, json }) => {
    const row = parseResultsFile(file, json, resultsRoot(dir));
    return row ? [row] : [];
  });
}
