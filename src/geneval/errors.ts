import { readFileSync } from "node:fs";
// Reading the GenEval module's input files: every failure an InputError naming the file.
import { InputError } from "../util/errors.js";

/** Reads a text file and parses it, naming the file in any input error. */
export function parseInputFile<T>(path: string, parse: (text: string) => T): T {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new InputError(`cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return parse(text);
  } catch (e) {
    if (e instanceof InputError) throw new InputError(`${path}: ${e.message}`);
    throw e;
  }
}
