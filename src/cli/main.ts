#!/usr/bin/env node
// The entry only assembles commands; each command lives in its own file.
import { Command } from "commander";
import { registerBench } from "./bench.js";
import { registerEval } from "./eval.js";
import { registerGenerate } from "./generate.js";
import { registerGeneval } from "./geneval.js";
import { registerJudge } from "./judge.js";
import { registerRender } from "./render.js";
import { registerTrain } from "./train.js";
import { runCli } from "./run.js";

const program = new Command()
  .name("imagecot")
  .description("Verify and reinforce image generation step by step (ORM, PRM, PARM, PARM++, DPO).")
  .version("0.1.0");

registerBench(program);
registerGenerate(program);
registerGeneval(program);
registerJudge(program);
registerEval(program);
registerRender(program);
registerTrain(program);

await runCli(program, process.argv);
