// The page: the generate form (its choices come from /v1/health), the live tree, and the
// evaluation dashboard (tables and charts from /v1/results).
/* global document, fetch */
import { readEvents } from "./sse.js";
import { Tree } from "./tree.js";

const $ = (id) => document.getElementById(id);
const tree = new Tree($("tree"));

function option(value, label, title, disabled = false) {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = label;
  o.title = title;
  o.disabled = disabled;
  return o;
}

async function loadHealth() {
  const h = await (await fetch("/v1/health")).json();
  $("strategy").replaceChildren(...h.strategies.map((s) => option(s.name, s.name, s.description)));
  $("strategy").value = h.strategies.some((s) => s.name === "parm") ? "parm" : h.strategies[0].name;
  $("judge").replaceChildren(...h.judges.map((j) => option(j.name, j.available ? j.name : `${j.name} (unavailable)`, j.reason ?? "", !j.available)));
  $("n").max = String(h.limits.maxN);
  $("prompt").maxLength = h.limits.maxPromptChars;
  $("health").textContent = `ready: ${h.steps} steps, N ≤ ${h.limits.maxN}`;
}

function status(text, isError = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", isError);
}

function showResult(r) {
  $("final").hidden = false;
  $("final-image").src = `data:image/png;base64,${r.image}`;
  $("final-cost").textContent = `${r.strategy}, N=${r.n}, seed ${r.seed}: ${r.nfe} NFE, ${r.judgeCalls} judge call(s)`;
}

async function generate(ev) {
  ev.preventDefault();
  const body = { prompt: $("prompt").value, strategy: $("strategy").value, n: Number($("n").value), seed: Number($("seed").value) };
  if ($("judge").value) body.judge = $("judge").value;
  $("generate").disabled = true;
  $("final").hidden = true;
  tree.clear();
  status("generating…");
  try {
    const res = await fetch("/v1/generate", { method: "POST", headers: { "content-type": "application/json", accept: "text/event-stream" }, body: JSON.stringify(body) });
    if (!res.ok) {
      const err = await res.json().catch(() => ({ message: res.statusText }));
      return status(`${res.status}: ${err.message}`, true);
    }
    for await (const e of readEvents(res)) {
      if (e.type === "queued") status(`waiting for ${e.ahead} job(s) ahead…`);
      else if (e.type === "start") status("generating…");
      else if (e.type === "error") status(`failed: ${e.message}`, true);
      else if (e.type === "result") {
        showResult(e);
        status("done");
      }
      tree.handle(e);
    }
  } catch (e) {
    status(`failed: ${e.message}`, true);
  } finally {
    $("generate").disabled = false;
  }
}

async function loadDashboard() {
  const d = await (await fetch("/v1/results")).json();
  $("dash-results").innerHTML = d.rows.length ? d.html.results : "<p class=\"muted\">no strategy results yet</p>";
  $("dash-bytag").innerHTML = d.html.byTag;
  $("dash-nfe").innerHTML = d.html.accuracyNfe;
  $("dash-frontier").innerHTML = d.html.frontier;
  $("dash-dpo").innerHTML = d.html.dpoPairs;
  $("dash-paper").innerHTML = d.html.paper;
}

function show(view) {
  for (const b of document.querySelectorAll("nav button")) b.classList.toggle("active", b.dataset.view === view);
  $("view-generate").hidden = view !== "generate";
  $("view-dashboard").hidden = view !== "dashboard";
  if (view === "dashboard") loadDashboard().catch((e) => ($("dash-results").textContent = `cannot load results: ${e.message}`));
}

for (const b of document.querySelectorAll("nav button")) b.addEventListener("click", () => show(b.dataset.view));
$("refresh").addEventListener("click", () => show("dashboard"));
$("form").addEventListener("submit", generate);
loadHealth().catch((e) => ($("health").textContent = `server unreachable: ${e.message}`));
