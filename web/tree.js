// The reasoning tree, drawn from the strategy's events as they arrive: one grid of N paths by
// T steps per round (PARM++ adds a round per correction), thumbnails in the cells, verdicts as
// badges, cut paths greyed from where they were cut, the chosen path outlined.
/* global document */

const LETTER = { clarity: "C", potential: "P", process: "V", outcome: "O" };
const png = (b64) => `data:image/png;base64,${b64}`;

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

export class Tree {
  constructor(container) {
    this.container = container;
    this.strategy = "";
    this.round = null;
    this.rounds = 0;
  }

  clear() {
    this.container.replaceChildren();
    this.round = null;
    this.rounds = 0;
  }

  /** Dispatches one event by its type; unknown types are ignored (newer servers may add some). */
  handle(e) {
    const f = this[`on_${e.type}`];
    if (f) f.call(this, e);
  }

  on_start(e) {
    this.strategy = e.strategy;
  }

  on_begin(e) {
    const section = el("section", "round");
    const title = this.rounds === 0 ? `${this.strategy}: ${e.paths} path(s) × ${e.steps} steps` : `correction round ${this.rounds}`;
    section.append(el("h3", "", title));
    if (this.strategy === "step-best-of-n")
      section.append(el("p", "muted", "each column holds N candidates branched from the highlighted cell of the column before"));
    const table = el("table", "grid");
    const head = el("tr");
    head.append(el("th", "", ""));
    for (let t = 0; t < e.steps; t++) head.append(el("th", "", String(t + 1)));
    head.append(el("th", "", "final"));
    table.append(head);
    const rows = [];
    for (let p = 0; p < e.paths; p++) {
      const tr = el("tr", "path");
      tr.dataset.path = String(p);
      tr.append(el("th", "", this.strategy === "step-best-of-n" ? `cand. ${p}` : `path ${p}`));
      for (let t = 0; t <= e.steps; t++) tr.append(el("td", t === e.steps ? "cell final" : "cell"));
      table.append(tr);
      rows.push(tr);
    }
    section.append(table);
    this.container.append(section);
    this.round = { section, rows, steps: e.steps };
    this.rounds++;
  }

  cell(path, step) {
    const row = this.round?.rows[path];
    return row ? row.children[1 + (step === null ? this.round.steps : step)] : null;
  }

  on_step(e) {
    for (const p of e.paths) {
      const td = this.cell(p.path, e.step);
      if (!td) continue;
      const img = el("img");
      img.src = png(p.image);
      img.alt = `path ${p.path}, step ${e.step + 1}`;
      img.title = `path ${p.path}, step ${e.step + 1}: ${p.masked} token(s) still masked`;
      td.replaceChildren(img);
      // a cut path that is finished anyway (PARM's fallback when every path was cut)
      if (td.classList.contains("cut")) td.classList.replace("cut", "rescued");
    }
  }

  on_verdicts(e) {
    for (const v of e.verdicts) {
      const td = this.cell(v.path, v.step);
      if (!td) continue;
      const badge = el("span", `badge ${e.question} ${v.pYes >= 0.5 ? "yes" : "no"}`, `${LETTER[e.question]} ${v.pYes.toFixed(2)}`);
      badge.title = `${e.question}: P(yes) = ${v.pYes.toFixed(3)}`;
      td.append(badge);
    }
  }

  on_cut(e) {
    const row = this.round?.rows[e.path];
    if (!row) return;
    row.classList.add("truncated");
    this.cell(e.path, e.step).classList.add("cut-here");
    for (let t = e.step + 1; t <= this.round.steps; t++) this.cell(e.path, t).classList.add("cut");
  }

  on_select(e) {
    this.cell(e.path, e.step)?.classList.add("selected");
  }

  on_chosen(e) {
    const row = this.round?.rows[e.path];
    if (!row) return;
    row.classList.add("chosen");
    const td = this.cell(e.path, null);
    td.classList.remove("cut");
    const img = el("img", "chosen-image");
    img.src = png(e.image);
    img.alt = `chosen image, path ${e.path}`;
    td.prepend(img);
    if (e.via === "fallback") this.round.section.append(el("p", "muted", `every path was cut: path ${e.path}, the best potential, was finished`));
  }

  on_reflection(e) {
    if (!this.round) return;
    const box = el("div", `reflection ${e.pYes >= 0.5 ? "yes" : "no"}`);
    box.append(el("strong", "", `Reflection: P(yes) = ${e.pYes.toFixed(2)}. `));
    box.append(el("span", "", e.pYes >= 0.5 ? "The image matches the prompt." : `Reason: ${e.reason ?? "(none given)"}. Regenerating with it…`));
    this.round.section.append(box);
  }
}
