import { Command } from "commander";
// placeholder, replaced by the issue that builds this command
export function registerEval(_program: Command): void {}
