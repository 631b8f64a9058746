// Collects scripts/precision-training-ab.sh into results/precision-training.json: per log line
// (50 steps) the mean training loss and seconds per step in float32 and in bfloat16.
// Usage: node scripts/precision-training-summary.mjs "<the A/B's command>" START_STEP
import { readFileSync } from "node:fs";
import { writeResult } from "../dist/src/util/provenance.js";

const [command, start] = process.argv.slice(2);
const log = (p) => readFileSync(`runs/precision-ab/${p}/log.jsonl`, "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((e) => e.step > Number(start));
const [f32, bf16] = [log("float32"), log("bfloat16")];
const lines = f32.map((e, i) => ({ step: e.step, loss_float32: e.loss, loss_bfloat16: bf16[i].loss, sec_per_step_float32: e.sec_per_step, sec_per_step_bfloat16: bf16[i].sec_per_step }));
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
writeResult(
  "results/precision-training.json",
  {
    precision_training: {
      from_step: Number(start),
      lines,
      mean_loss: { float32: mean(f32.map((e) => e.loss)), bfloat16: mean(bf16.map((e) => e.loss)) },
      max_abs_loss_diff: Math.max(...lines.map((l) => Math.abs(l.loss_float32 - l.loss_bfloat16))),
      sec_per_step: { float32: mean(f32.map((e) => e.sec_per_step)), bfloat16: mean(bf16.map((e) => e.sec_per_step)) },
    },
  },
  command,
);
