// The shipped (or given) models for a command: a missing or mismatched file is a failure of the
// installation, exit 1 with the loader's message, never a stack trace.
import type { Pipeline } from "../generator/pipeline.js";
import { loadPipeline } from "../models/load.js";
import { UserError } from "./run.js";

export function cliPipeline(...args: Parameters<typeof loadPipeline>): Pipeline {
  try {
    return loadPipeline(...args);
  } catch (e) {
    throw new UserError((e as Error).message, 1);
  }
}
