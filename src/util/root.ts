// The package root (where package.json is), from sources or from dist/: shipped models,
// suites and the native build are found relative to it, whatever the working directory.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | null = null;

export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "package.json"))) return (root = dir);
    dir = dirname(dir);
  }
  throw new Error("cannot find the imagecot package root (package.json)");
}

export function fromRoot(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}
