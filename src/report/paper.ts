// The paper's GenEval results (METHOD.md section 5), as data: reports and the dashboard show
// them beside this project's rows. `match` names the strategy and judge of the row that
// measures the same method here, where there is one.
import type { Tag } from "../geneval/types.js";

export interface PaperRow {
  label: string;
  /** null where the paper gives only the overall score */
  by_tag: Record<Tag, number> | null;
  overall: number;
  match?: { strategy: string; judge?: string };
}

const row = (label: string, v: number[], match?: PaperRow["match"]): PaperRow => ({
  label,
  by_tag: { single_object: v[0], two_object: v[1], counting: v[2], colors: v[3], position: v[4], color_attr: v[5] },
  overall: v[6],
  match,
});

/** Show-o on GenEval (single, two, count, colors, position, attr, overall). */
export const PAPER_ROWS: readonly PaperRow[] = Object.freeze([
  row("baseline", [0.95, 0.52, 0.49, 0.82, 0.11, 0.28, 0.53], { strategy: "none" }),
  row("zero-shot ORM (N=20)", [0.99, 0.63, 0.63, 0.84, 0.19, 0.39, 0.61], { strategy: "best-of-n", judge: "zero-shot" }),
  row("fine-tuned ORM", [0.99, 0.72, 0.65, 0.84, 0.25, 0.33, 0.63], { strategy: "best-of-n", judge: "fine-tuned" }),
  row("zero-shot PRM", [0.98, 0.51, 0.54, 0.82, 0.11, 0.23, 0.53], { strategy: "step-best-of-n", judge: "zero-shot" }),
  row("fine-tuned PRM", [0.98, 0.55, 0.54, 0.83, 0.13, 0.29, 0.55], { strategy: "step-best-of-n", judge: "fine-tuned" }),
  row("PARM", [0.99, 0.77, 0.68, 0.86, 0.29, 0.45, 0.67], { strategy: "parm" }),
  row("DPO", [0.96, 0.7, 0.5, 0.82, 0.3, 0.43, 0.62]),
  row("iterative DPO", [0.98, 0.72, 0.53, 0.84, 0.4, 0.46, 0.65]),
  row("PARM + iterative DPO", [0.98, 0.83, 0.64, 0.84, 0.59, 0.62, 0.74]),
  row("PARM + it. DPO with PARM guidance", [0.99, 0.86, 0.67, 0.84, 0.66, 0.64, 0.77]),
  // self-correction-tuned Show-o: overall only
  { label: "self-correction Show-o: PARM++ without reflection", by_tag: null, overall: 0.61, match: { strategy: "parm++-no-reason" } },
  { label: "self-correction Show-o: PARM++ with reflection", by_tag: null, overall: 0.7, match: { strategy: "parm++" } },
]);

/** The paper's row for a strategy and judge measured here, if it has one. */
export function paperRowFor(strategy: string, judge: string | null): PaperRow | undefined {
  // an LMM behind the OpenAI-compatible API is used zero-shot, as the paper's LLaVA-OneVision
  const kind = judge === "openai" ? "zero-shot" : (judge ?? undefined);
  return (
    PAPER_ROWS.find((r) => r.match?.strategy === strategy && r.match.judge === kind) ??
    PAPER_ROWS.find((r) => r.match?.strategy === strategy && r.match.judge === undefined)
  );
}
