import { readFileSync } from "node:fs";

// One error type for bad input to the GenEval module (a file, a line, a class list): its message
// already says where and what, so the CLI prints it as is, without a stack.
export class InputError extends Error {}

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
