// A file's identity by content: what settings fingerprints, queue jobs and cached verdicts record.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";

/** sha256 of a file's bytes, 16 hex digits (null when there is no file). */
export function fileHash(path: string | null | undefined): string | null {
  if (!path || !existsSync(path)) return null;
  return createHash("sha256").update(readFileSync(path)).digest("hex").slice(0, 16);
}
