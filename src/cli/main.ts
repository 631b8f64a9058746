#!/usr/bin/env node
// The entry only runs the command tree (./program.ts); each command lives in its own file.
import { buildProgram } from "./program.js";
import { runCli } from "./run.js";

await runCli(buildProgram(), process.argv);
