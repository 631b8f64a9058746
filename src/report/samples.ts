// Sample grids for the report: for the first prompt of each tag, every row's images of that
// prompt side by side, framed by the detector's verdict, each captioned with what became of the
// paths that were not chosen (cut, outscored, corrected) as its trace tells. Where evaluation
// kept the rejected paths (src/eval/rejected.ts: a prompt's first image), they follow the chosen
// image: final images with the judge's outcome score, cut paths as greyed cells.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type RejectedSidecar, readRejected } from "../eval/rejected.js";
import { listPromptFolders, promptDir } from "../geneval/layout.js";
import type { ResultsRow } from "./results.js";
import { acc, esc } from "../charts/svg.js";
import { isCut } from "../strategies/parm-rule.js";

export interface SamplePrompt {
  index: number;
  tag: string;
  prompt: string;
}

/** The first prompt of each tag in the first row that has images (rows share their suite). */
export function pickPrompts(rows: readonly ResultsRow[]): SamplePrompt[] {
  const dir = rows.find((r) => r.imagesDir !== null)?.imagesDir;
  if (!dir) return [];
  const seen = new Set<string>();
  return listPromptFolders(dir).flatMap((f) => {
    if (seen.has(f.metadata.tag)) return [];
    seen.add(f.metadata.tag);
    return [{ index: f.index, tag: f.metadata.tag, prompt: f.metadata.prompt }];
  });
}

type Trace = Record<string, unknown>;
/** The part of a PARM path trace the summaries read. */
export interface ParmPath { cutAfter: number | null; outcome: number | null }

/** What became of one PARM selection's paths: how many were cut (by potential or the survivor budget), where, and which was chosen. */
export function parmSummary(paths: ParmPath[], chosen: number, via: string): string {
  const cut = paths.filter((p) => p.cutAfter !== null);
  const steps = cut.map((p) => p.cutAfter!);
  const [lo, hi] = [Math.min(...steps), Math.max(...steps)];
  const where = cut.length ? (lo === hi ? ` (after step ${lo})` : ` (after steps ${lo}-${hi})`) : "";
  return `${cut.length} of ${paths.length} paths cut${where}; chose path ${chosen}${via === "fallback" ? " (all cut: the best potential finished)" : ""}`;
}

/** One line on the paths behind a chosen image: how many were rejected, and how. */
export function pathsSummary(t: Trace): string {
  switch (t.strategy) {
    case "best-of-n": {
      const o = t.outcome as number[];
      const chosen = t.chosen as number;
      const others = o.filter((_, i) => i !== chosen);
      return `chose path ${chosen} of ${o.length} (outcome ${acc(o[chosen])})` + (others.length ? `; the others ${acc(Math.min(...others))}-${acc(Math.max(...others))}` : "");
    }
    case "step-best-of-n":
      return `kept 1 of ${t.n} candidates at each of ${(t.steps as unknown[]).length} steps`;
    case "parm":
      return parmSummary(t.paths as ParmPath[], t.chosen as number, t.via as string);
    case "parm++":
    case "parm++-no-reason": {
      const rounds = t.rounds as { paths: ParmPath[]; chosen: number; via: string; reflection?: { reason: string | null } }[];
      const last = rounds[rounds.length - 1];
      const reasons = rounds.flatMap((r) => (r.reflection?.reason ? [`"${r.reflection.reason}"`] : []));
      return `${rounds.length - 1} correction round(s)${reasons.length ? ` after ${reasons.join(", ")}` : ""}; last round: ${parmSummary(last.paths, last.chosen, last.via)}`;
    }
    default:
      return "one path, nothing rejected";
  }
}

function readJson<T>(path: string): T | null {
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf8")) as T) : null;
}

/** The detector's verdict on an image, when it was scored. */
export interface FrameVerdict {
  correct: boolean;
  reasons: string[];
}

/** Detector verdicts of an images folder by file name (from its results.jsonl, when scored). */
function verdicts(dir: string): Map<string, FrameVerdict> {
  const path = join(dir, "results.jsonl");
  if (!existsSync(path)) return new Map();
  const lines = readFileSync(path, "utf8").split("\n").filter((l) => l.trim() !== "");
  return new Map(lines.map((l) => JSON.parse(l) as { filename: string; correct: boolean; reasons: string[] }).map((r) => [r.filename, r]));
}

/**
 * One image as the reports show it: framed green (correct) or red (not) by the detector's
 * verdict, the reason on hover, an optional caption; `classes` add to the frame's ("large"
 * doubles its size, "small" shrinks it, "chosen" outlines it).
 */
export function figureHtml(png: Uint8Array, alt: string, verdict: FrameVerdict | null | undefined, caption?: string, classes: string[] = []): string {
  const cls = [verdict ? (verdict.correct ? "ok" : "bad") : "unscored", ...classes].join(" ");
  const tip = verdict ? (verdict.correct ? "correct" : verdict.reasons.join("; ")) : "not scored";
  const src = `data:image/png;base64,${Buffer.from(png).toString("base64")}`;
  const cap = caption !== undefined ? `<figcaption>${esc(caption)}</figcaption>` : "";
  return `<figure class="${cls}"><img src="${src}" alt="${esc(alt)}" title="${esc(tip)}">${cap}</figure>`;
}

/** A path without a final image: cut by its potential answer, or stopped by PARM's survivor budget (before or after it was clear). */
function cutFigure(path: number, cutAfter: number | null, pYes: number | null): string {
  const [label, caption] =
    pYes === null ? ["stopped", `path ${path}: stopped by the survivor budget before it was clear`] : isCut(pYes) ? ["cut", `path ${path}: potential ${acc(pYes)}`] : ["stopped", `path ${path}: potential ${acc(pYes)}, stopped by the survivor budget`];
  return `<figure class="cut small"><div>${label} after step ${cutAfter}</div><figcaption>${esc(caption)}</figcaption></figure>`;
}

/** A sample whose rejected paths were kept: the chosen image, outlined, then every other path. */
function selectionHtml(dir: string, chosen: string, kept: RejectedSidecar): string {
  const others = kept.rejected.flatMap((r) => {
    if (r.file === null) return [cutFigure(r.path, r.cutAfter, r.pYes)];
    const file = join(dir, r.file);
    // a path with a final image has its outcome score
    return existsSync(file) ? [figureHtml(readFileSync(file), `path ${r.path}`, r.detector, `path ${r.path}: outcome ${acc(r.pYes!)}`, ["small"])] : [];
  });
  return `<div class="selection">${chosen}${others.join("")}</div>`;
}

function cell(row: ResultsRow, p: SamplePrompt, judged: Map<string, FrameVerdict>): string {
  const dir = promptDir(row.imagesDir!, p.index);
  const traces = readJson<Trace[]>(join(dir, "trace.json")) ?? [];
  const kept = readRejected(dir);
  const samples = existsSync(join(dir, "samples")) ? readdirSync(join(dir, "samples")).filter((f) => /^\d+\.png$/.test(f)).sort() : [];
  const figures = samples.map((name) => {
    const s = Number(name.slice(0, -4));
    const v = judged.get(`${String(p.index).padStart(5, "0")}/samples/${name}`);
    const png = readFileSync(join(dir, "samples", name));
    const summary = traces[s] ? pathsSummary(traces[s]) : undefined;
    if (kept?.sample !== s) return figureHtml(png, `sample ${s}`, v, summary);
    return selectionHtml(dir, figureHtml(png, `sample ${s}, path ${kept.chosen}`, v, summary ?? `chose path ${kept.chosen}`, ["chosen"]), kept);
  });
  return `<td>${figures.join("")}</td>`;
}

/** The sample grid as an HTML table: prompts down, rows across; empty when no images remain. */
export function sampleGridHtml(rows: readonly ResultsRow[]): string {
  const prompts = pickPrompts(rows);
  const withImages = rows.filter((r) => r.imagesDir !== null);
  if (prompts.length === 0) return "<p>No generated images on disk for these results.</p>";
  const judged = new Map(withImages.map((r) => [r.label, verdicts(r.imagesDir!)]));
  const head = `<tr><th>prompt</th>${withImages.map((r) => `<th>${esc(r.label)}</th>`).join("")}</tr>`;
  const body = prompts.map(
    (p) => `<tr><th class="prompt">${esc(p.prompt)}<br><small>${esc(p.tag)}</small></th>${withImages.map((r) => cell(r, p, judged.get(r.label)!)).join("")}</tr>`,
  );
  return `<table class="samples">${head}${body.join("")}</table>`;
}
