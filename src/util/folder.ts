// Folders named by the user: whether one is there, and a bad-input error when it is not.
import { existsSync, statSync } from "node:fs";
import { InputError } from "./errors.js";

export const isFolder = (p: string): boolean => existsSync(p) && statSync(p).isDirectory();

/** Throws the one-line input error for a path that is not a folder (the CLI exits 2). */
export function requireFolder(dir: string): void {
  if (!isFolder(dir)) throw new InputError(`not a folder: ${dir}`);
}
