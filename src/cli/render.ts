import { Command } from "commander";
// placeholder, replaced by the issue that builds this command
export function registerRender(_program: Command): void {}
