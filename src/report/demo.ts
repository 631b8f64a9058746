// The demo's report (`imagecot demo`): per prompt, the chosen image, then every PARM++ round
// (its chosen image, what became of its paths, the judge's reflection and the reason the next
// round regenerated from) with its cost. Built from the evaluation report's blocks: the page
// shell, the framed figures and the PARM summaries.
import { says } from "../judges/judge.js";
import { MAX_ROUNDS } from "../strategies/parm-plus.js";
import { htmlPage } from "./html.js";
import { type FrameVerdict, type ParmPath, figureHtml, parmSummary } from "./samples.js";
import { acc, esc } from "../charts/svg.js";

export interface DemoRound {
  round: number;
  /** this round's chosen image (PNG) */
  png: Uint8Array;
  paths: ParmPath[];
  chosen: number;
  via: string;
  /** what the round regenerated from: undefined for round 0 (the prompt alone), "" for the previous image alone */
  reason?: string;
  /** the judge's check of this round's image; null when the round limit ended the loop first */
  reflection: { pYes: number; reason: string | null } | null;
  nfe: number;
  judgeCalls: number;
}

export interface DemoPrompt {
  prompt: string;
  /** the chosen image (PNG) and where it and the trace were written */
  png: Uint8Array;
  image: string;
  trace: string;
  nfe: number;
  judgeCalls: number;
  seconds: number;
  /** the detector's verdict on the chosen image (evaluation only: no strategy reads it); null when the prompt has no metadata */
  detector: FrameVerdict | null;
  rounds: DemoRound[];
}

export interface DemoReportInput {
  strategy: string;
  judge: string;
  n: number;
  steps: number;
  seed: number;
  /** true: regenerations ran on the self-correction generator; a URL: on the step server there */
  corrector: boolean | string;
  date: string;
  seconds: number;
  prompts: readonly DemoPrompt[];
}

const secs = (s: number) => `${s.toFixed(1)} s`;

function detectorText(v: FrameVerdict | null): string {
  if (!v) return "not scored (no metadata for this prompt)";
  return v.correct ? "correct" : `wrong: ${v.reasons.join("; ")}`;
}

function reflectionText(r: DemoRound, last: boolean): string {
  if (!r.reflection) return "not asked: the round limit was reached";
  const p = `P(yes) ${acc(r.reflection.pYes)}`;
  if (says(r.reflection.pYes)) return `${p}: judged correct, kept`;
  return `${p}: "${r.reflection.reason ?? ""}"${last ? "" : ", so regenerate"}`;
}

function fromText(r: DemoRound): string {
  if (r.reason === undefined) return "the prompt";
  return r.reason === "" ? "the prompt and the previous image" : `the prompt, the previous image and the reason "${r.reason}"`;
}

function roundsTable(p: DemoPrompt): string {
  const head = "<tr><th>round</th><th>chosen image</th><th>generated from</th><th>PARM selection</th><th>reflection</th><th>NFE</th><th>judge calls</th></tr>";
  const body = p.rounds.map((r, i) => {
    const last = i === p.rounds.length - 1;
    return `<tr><td>${r.round}</td><td>${figureHtml(r.png, `round ${r.round}`, null)}</td><td>${esc(fromText(r))}</td><td>${esc(parmSummary(r.paths, r.chosen, r.via))}</td><td>${esc(reflectionText(r, last))}</td><td>${r.nfe}</td><td>${r.judgeCalls}</td></tr>`;
  });
  return `<table class="rounds">${head}${body.join("")}</table>`;
}

function summaryTable(prompts: readonly DemoPrompt[]): string {
  const head = "<tr><th>prompt</th><th>rounds</th><th>detector</th><th>NFE</th><th>judge calls</th><th>time</th></tr>";
  const body = prompts.map(
    (p) => `<tr><th>${esc(p.prompt)}</th><td>${p.rounds.length}</td><td>${esc(p.detector ? (p.detector.correct ? "correct" : "wrong") : "-")}</td><td>${p.nfe}</td><td>${p.judgeCalls}</td><td>${secs(p.seconds)}</td></tr>`,
  );
  return `<table class="results">${head}${body.join("")}</table>`;
}

export function demoHtml(d: DemoReportInput): string {
  const sections = d.prompts.map((p, i) => {
    const caption = `detector: ${detectorText(p.detector)}`;
    return `<h2>${i + 1}. ${esc(p.prompt)}</h2>
${figureHtml(p.png, p.prompt, p.detector, caption, ["large"])}
<p>${p.rounds.length - 1} correction round(s); NFE ${p.nfe}, ${p.judgeCalls} judge calls, ${secs(p.seconds)}. Image <code>${esc(p.image)}</code>, trace <code>${esc(p.trace)}</code>.</p>
${roundsTable(p)}`;
  });
  const corrector =
    typeof d.corrector === "string" ? `the step server at ${d.corrector}` : d.corrector ? "the self-correction generator" : "the base generator (no self-correction weights were found)";
  return htmlPage(
    "imagecot demo",
    `<p>${d.prompts.length} prompt(s), strategy <b>${esc(d.strategy)}</b> with the ${esc(d.judge)} judge, N=${d.n} paths of ${d.steps} steps, seed ${d.seed}; regenerations on ${esc(corrector)}. ${esc(d.date)}, ${secs(d.seconds)} in all.</p>
<p>Each round decodes N paths; the judge is asked whether each path's intermediate image is clear enough to judge and, at its first clear step, whether it can still end well (a no cuts the path); the outcome score picks among the survivors. Then the judge reflects on the chosen image: when it says no, it says what is wrong, and the next round regenerates from the prompt, that image and the reason (at most ${MAX_ROUNDS} corrections). NFE counts generator forward passes (each CFG half). The final image is framed green when the detector finds it correct and red when not (evaluation only: the strategy never sees the detector).</p>
${summaryTable(d.prompts)}
${sections.join("\n")}`,
  );
}
