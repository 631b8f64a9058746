// What PARM++'s reflection did in an evaluated folder (eval --suite --strategy parm++ --gen-dir
// DIR): per tag, the images the judge said no to (and so corrected), how many of those ended
// right, and the wrong images it said yes to, which were never corrected. Read from each
// prompt's trace.json (its rounds) and the folder's results.jsonl (the detector's verdicts).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promptDir } from "../geneval/layout.js";
import { byTag } from "../util/by-tag.js";

export interface ImageRounds {
  tag: string;
  correct: boolean;
  /** the strategy's rounds: 1 when the judge said yes to PARM's first image */
  rounds: number;
  /** the round whose image was returned */
  returned: number;
}

export interface CorrectionCounts {
  images: number;
  right: number;
  /** the judge said no to the first image: at least one correction round */
  corrected: number;
  corrected_right: number;
  /** a correction round's image was returned, not the first */
  returned_later: number;
  /** wrong, and the judge said yes to the first image: never corrected */
  wrong_accepted: number;
}

function count(rows: readonly ImageRounds[]): CorrectionCounts {
  const corrected = rows.filter((r) => r.rounds > 1);
  return {
    images: rows.length,
    right: rows.filter((r) => r.correct).length,
    corrected: corrected.length,
    corrected_right: corrected.filter((r) => r.correct).length,
    returned_later: rows.filter((r) => r.returned > 0).length,
    wrong_accepted: rows.filter((r) => r.rounds === 1 && !r.correct).length,
  };
}

export function correctionCounts(rows: readonly ImageRounds[]): CorrectionCounts & { by_tag: Record<string, CorrectionCounts> } {
  return { ...count(rows), by_tag: byTag(rows, count) };
}

interface Trace {
  rounds?: unknown[];
  returned_round?: number;
}

/** Every scored image of the folder with its rounds; fails naming what is missing or is not a PARM++ trace. */
export function readImageRounds(dir: string): ImageRounds[] {
  const results = join(dir, "results.jsonl");
  if (!existsSync(results)) throw new Error(`${dir} has no results.jsonl: evaluate it first (imagecot eval --suite ... --gen-dir ${dir})`);
  const traces = new Map<number, Trace[]>();
  const parse = (text: string, where: string): unknown => {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new Error(`${where}: not JSON (${(e as Error).message})`);
    }
  };
  return readFileSync(results, "utf8")
    .split("\n")
    .map((l, i) => [l, i + 1] as const)
    .filter(([l]) => l.trim())
    .map(([l, line]) => {
      const r = parse(l, `${results}:${line}`) as { prompt_index: unknown; sample_index: unknown; tag: unknown; correct: unknown };
      if (!Number.isInteger(r.prompt_index) || !Number.isInteger(r.sample_index) || typeof r.tag !== "string" || typeof r.correct !== "boolean") {
        throw new Error(`${results}:${line}: not a row of 'eval --suite' (prompt_index, sample_index, tag, correct)`);
      }
      const p = r.prompt_index as number;
      if (!traces.has(p)) {
        const file = join(promptDir(dir, p), "trace.json");
        if (!existsSync(file)) throw new Error(`${file} is missing`);
        traces.set(p, parse(readFileSync(file, "utf8"), file) as Trace[]);
      }
      const t = traces.get(p)![r.sample_index as number];
      if (!t || !Array.isArray(t.rounds) || typeof t.returned_round !== "number") throw new Error(`${dir}: image ${p}/${r.sample_index} has no PARM++ rounds in its trace`);
      return { tag: r.tag, correct: r.correct, rounds: t.rounds.length, returned: t.returned_round };
    });
}
