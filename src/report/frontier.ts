// Compute frontiers of a results folder: the files `imagecot bench frontier --out` wrote (a
// top-level `frontier` object, src/eval/frontier.ts), for the frontier chart of the report and
// of the page. Only what the chart draws is read, and checked.
import { basename } from "node:path";
import type { Frontier, ScorePoint } from "../eval/frontier.js";
import { num, readJsonFiles } from "./results.js";

export type FrontierCurve = Pick<ScorePoint, "n" | "nfe_per_image" | "overall">[];

export interface FrontierFile {
  /** the file's name without .json */
  label: string;
  judge: string;
  best_of_n: FrontierCurve;
  parm: FrontierCurve;
  oracle: FrontierCurve;
  /** the budget comparison's verdict; null where the file has none */
  parmAtOrAbove: boolean | null;
}

const CURVES = ["best_of_n", "parm", "oracle"] as const;

/** A results file's frontier, or null when the file is not one. */
export function parseFrontierFile(file: string, json: unknown): FrontierFile | null {
  const f = (json as { frontier?: Partial<Record<keyof Frontier, unknown>> } | null)?.frontier;
  if (typeof f !== "object" || f === null || !CURVES.every((c) => Array.isArray(f[c]))) return null;
  const curve = (c: (typeof CURVES)[number]): FrontierCurve =>
    (f[c] as { n?: unknown; nfe_per_image?: unknown; overall?: unknown }[]).map((p) => {
      const [n, nfe, overall] = [num(p?.n), num(p?.nfe_per_image), num(p?.overall)];
      if (n === null || nfe === null || overall === null) throw new Error(`${file}: a point of frontier.${c} without numbers n, nfe_per_image and overall`);
      return { n, nfe_per_image: nfe, overall };
    });
  const verdict = (f.budget as { parm_at_or_above_best_of_n?: unknown } | undefined)?.parm_at_or_above_best_of_n;
  return {
    label: basename(file, ".json"),
    judge: typeof f.judge === "string" ? f.judge : "?",
    best_of_n: curve("best_of_n"),
    parm: curve("parm"),
    oracle: curve("oracle"),
    parmAtOrAbove: typeof verdict === "boolean" ? verdict : null,
  };
}

/** Every frontier in `dir`, by file name. */
export function readFrontiers(dir: string): FrontierFile[] {
  return readJsonFiles(dir).flatMap(({ file, json }) => {
    const f = parseFrontierFile(file, json);
    return f ? [f] : [];
  });
}
