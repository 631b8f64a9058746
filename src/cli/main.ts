#!/usr/bin/env node
// The entry only runs the command tree (./program.ts); each command lives in its own file.
// Flags mean one thing everywhere: --out is what a command makes (weights, a folder, a summary
// with provenance), --results FILE a training run's summary for results/, --rows per-image
// verdicts, --run-dir a run's checkpoints and logs, --gen-dir a suite's images.
import { buildProgram } from "./program.js";
import { runCli } from "./run.js";

await runCli(buildProgram(), process.argv);
