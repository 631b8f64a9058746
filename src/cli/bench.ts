// `imagecot bench <what>`: benchmarks print one JSON object (speed and quality targets live here).
import { Command } from "commander";
import { addDetectorBench } from "./bench-detector.js";
import { addDeviceBench } from "./bench-device.js";
import { addDpoMemoryBench } from "./bench-dpo-memory.js";
import { addDpoValBench } from "./bench-dpo-val.js";
import { addEngineBench } from "./bench-engine.js";
import { addFrontierBench } from "./bench-frontier.js";
import { addGenerateBench } from "./bench-generate.js";
import { addHeldOutBench } from "./bench-heldout.js";
import { addJudgeBench } from "./bench-judge.js";
import { addOracleBench } from "./bench-oracle.js";
import { addPrecisionBench } from "./bench-precision.js";
import { addReasonsBench } from "./bench-reasons.js";
import { addParmValBench } from "./bench-parm-val.js";
import { addReplayBench } from "./bench-replay.js";
import { addTokenizerBench } from "./bench-tokenizer.js";

export function registerBench(program: Command): void {
  const bench = program.command("bench").description("run a benchmark and print its figures as JSON");
  addEngineBench(bench);
  addDetectorBench(bench);
  addTokenizerBench(bench);
  addGenerateBench(bench);
  addHeldOutBench(bench);
  addReplayBench(bench);
  addOracleBench(bench);
  addReasonsBench(bench);
  addJudgeBench(bench);
  addFrontierBench(bench);
  addParmValBench(bench);
  addDpoValBench(bench);
  addDpoMemoryBench(bench);
  addPrecisionBench(bench);
  addDeviceBench(bench);
}
