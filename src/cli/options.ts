// Option parsers shared by commands: they turn bad input into clear usage errors.
import { InvalidArgumentError } from "commander";

export function intOption(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a non-negative integer, got '${value}'`);
  return n;
}
