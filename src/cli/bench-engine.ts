import { Command } from "commander";
// placeholder
export function addEngineBench(_bench: Command): void {}
