// Collects the zero-shot judge's size probe (scripts/judge-probe.sh) into results/judge-scaling.json:
// per configuration its config, parameters, steps, wall time and held-out figures.
// Usage: node scripts/judge-probe-summary.mjs "<the probe's command>" CHOSEN WHY NAME...
import { readFileSync } from "node:fs";
import { writeResult } from "../dist/src/util/provenance.js";

const [command, chosen, why, ...names] = process.argv.slice(2);
const configs = names.map((name) => {
  const t = JSON.parse(readFileSync(`runs/judge-probe/${name}/train.json`, "utf8")).training;
  return { name, config: t.config, parameters: t.parameters, steps: t.steps, wall_seconds: t.wall_seconds, final: t.final, held_out: t.settings.held_out };
});
writeResult("results/judge-scaling.json", { scaling: { budget: "same wall time per configuration (steps = budget / seconds per step, data included, timed alone)", configs, chosen, why } }, command);
