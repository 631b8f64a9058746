// The whole command tree: main.ts runs it, tests drive it in-process.
import { Command } from "commander";
import { registerBench } from "./bench.js";
import { registerData } from "./data.js";
import { registerDemo } from "./demo.js";
import { registerEval } from "./eval.js";
import { registerGenerate } from "./generate.js";
import { registerGeneval } from "./geneval.js";
import { registerJudge } from "./judge.js";
import { registerRender } from "./render.js";
import { registerReport } from "./report.js";
import { registerResults } from "./results.js";
import { registerServe } from "./serve.js";
import { registerTrain } from "./train.js";
import { registerWorker } from "./worker.js";

export function buildProgram(): Command {
  const program = new Command()
    .name("imagecot")
    .description("Verify and reinforce image generation step by step (ORM, PRM, PARM, PARM++, DPO).")
    .version("0.1.0")
    .option("--verbose", "print the stack trace of a failure (also DEBUG=1)");
  registerBench(program);
  registerData(program);
  registerDemo(program);
  registerGenerate(program);
  registerGeneval(program);
  registerJudge(program);
  registerEval(program);
  registerRender(program);
  registerReport(program);
  registerResults(program);
  registerServe(program);
  registerTrain(program);
  registerWorker(program);
  return program;
}
