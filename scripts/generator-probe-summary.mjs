// Collects the scaling probe (scripts/generator-probe.sh) into results/generator-scaling.json:
// per size its config, parameters, steps, wall time, training loss, and its held-out figures
// (yes rate and masked-token loss on held-out training prompts).
// Usage: node scripts/generator-probe-summary.mjs "<the probe's command>" CHOSEN NAME...
import { readFileSync } from "node:fs";
import { writeResult } from "../dist/src/util/provenance.js";

const [command, chosen, why, ...names] = process.argv.slice(2);
const read = (f) => JSON.parse(readFileSync(f, "utf8"));
const sizes = names.map((name) => {
  const t = read(`runs/probe/${name}/train.json`).training;
  const h = read(`runs/probe/${name}/heldout.json`).heldout;
  return {
    name,
    d_model: t.config.dModel,
    layers: t.config.layers,
    heads: t.config.heads,
    parameters: t.parameters,
    steps: t.steps,
    wall_seconds: t.wall_seconds,
    model_share: t.model_share,
    final_train_loss: t.final.loss,
    heldout: { yes_rate: h.yes_rate, by_tag: h.by_tag, masked_token_loss: h.masked_token_loss, images: h.images, loss_prompts: h.loss_prompts },
  };
});
writeResult("results/generator-scaling.json", { scaling: { budget: "same wall time per size (steps = budget / seconds per step, timed alone)", sizes, chosen, why } }, command);
