import { Command } from "commander";
// placeholder, replaced by the issue that builds this command
export function registerGeneval(_program: Command): void {}
