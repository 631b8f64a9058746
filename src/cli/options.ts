// Option parsers shared by commands: they turn bad input into clear usage errors.
import { InvalidArgumentError, Option } from "commander";
import { DEFAULT_SAMPLE } from "../generator/sampler.js";

export function intOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got '${value}'`);
  return n;
}

export function numberOption(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) throw new InvalidArgumentError(`expected a number, got '${value}'`);
  return n;
}

/** Seeds are 32-bit: larger ones lose precision in the per-path seeds derived from them. */
export const MAX_SEED = 2 ** 32 - 1;

export function seedOption(value: string): number {
  const n = intOption(value);
  if (n > MAX_SEED) throw new InvalidArgumentError(`expected a seed in [0, 2^32), got '${value}'`);
  return n;
}

/** A temperature: softmax divides by it, so it must be above 0. */
export function temperatureOption(value: string): number {
  const n = numberOption(value);
  if (!(n > 0)) throw new InvalidArgumentError(`expected a temperature above 0, got '${value}'`);
  return n;
}

/** A guidance scale: (1 + g) cond - g uncond, meaningful for g >= 0. */
export function cfgOption(value: string): number {
  const n = numberOption(value);
  if (n < 0) throw new InvalidArgumentError(`expected a guidance scale of at least 0, got '${value}'`);
  return n;
}

/** Paths per image: at least 1 and at most MAX_PATHS, so a typo cannot exhaust memory. */
export const MAX_PATHS = 1024;

export function pathsOption(value: string): number {
  const n = intOption(value);
  if (n < 1 || n > MAX_PATHS) throw new InvalidArgumentError(`expected a number of paths in [1, ${MAX_PATHS}], got '${value}'`);
  return n;
}

/** A comma-separated list of path counts (each as --n takes one), ascending, without repeats. */
export function pathsListOption(value: string): number[] {
  return [...new Set(value.split(",").map((x) => pathsOption(x.trim())))].sort((a, b) => a - b);
}

/** A comma-separated list of folders (--data's, --samples'): each named, none empty (a stray comma names none). */
export function folderListOption(value: string): string[] {
  const dirs = value.split(",").map((x) => x.trim());
  if (dirs.some((d) => d === "")) throw new InvalidArgumentError(`expected folders separated by commas, got '${value}'`);
  return dirs;
}

/** A weight that may be 0 (a loss term's, off at 0). */
export function nonNegativeOption(value: string): number {
  const n = numberOption(value);
  if (n < 0) throw new InvalidArgumentError(`expected a number of at least 0, got '${value}'`);
  return n;
}

/** A comma-separated list of such weights (a grid's). */
export function nonNegativeListOption(value: string): number[] {
  try {
    return value.split(",").map((x) => nonNegativeOption(x.trim()));
  } catch {
    throw new InvalidArgumentError(`expected numbers of at least 0 separated by commas, got '${value}'`);
  }
}

/** A share that may be 0 but not all (a mask's floor): [0, 1). */
export function shareOption(value: string): number {
  const n = numberOption(value);
  if (!(n >= 0 && n < 1)) throw new InvalidArgumentError(`expected a number of at least 0 and below 1, got '${value}'`);
  return n;
}

/** A comma-separated list of such shares (a grid's). */
export function shareListOption(value: string): number[] {
  try {
    return value.split(",").map((x) => shareOption(x.trim()));
  } catch {
    throw new InvalidArgumentError(`expected numbers of at least 0 and below 1 separated by commas, got '${value}'`);
  }
}

/** A comma-separated list of positive numbers (learning rates, epochs, betas of a grid). */
export function positiveListOption(value: string): number[] {
  return value.split(",").map((x) => {
    const n = numberOption(x.trim());
    if (!(n > 0)) throw new InvalidArgumentError(`expected positive numbers separated by commas, got '${value}'`);
    return n;
  });
}

export function positiveIntOption(value: string): number {
  const n = intOption(value);
  if (n < 1) throw new InvalidArgumentError(`expected a positive integer, got '${value}'`);
  return n;
}

/** A comma-separated list of positive integers (row counts, process counts). */
export function positiveIntListOption(value: string): number[] {
  try {
    return value.split(",").map((x) => positiveIntOption(x.trim()));
  } catch {
    throw new InvalidArgumentError(`expected positive integers separated by commas, got '${value}'`);
  }
}

/** --flat-penalty: the sampler's flat-background penalty, by default the shipped sampler's. */
export function flatPenaltyOption(): Option {
  return new Option("--flat-penalty <nats>", "taken off a drawn flat-background token's confidence: background fixed last (0: Show-o's rule)")
    .default(DEFAULT_SAMPLE.flatPenalty ?? 0)
    .argParser(nonNegativeOption);
}
