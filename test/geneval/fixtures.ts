// Shared test fixtures: the real GenEval files (beside the repo in ../shared, or in shared/) and a detection maker.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import type { Box, Color, Detection } from "../../src/geneval/types.js";

// dist/test/geneval/ -> repository root
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

function sharedFile(name: string): string {
  const candidates = [join(ROOT, "..", "shared", "geneval", name), join(ROOT, "shared", "geneval", name)];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`GenEval fixture ${name} not found in ${candidates.join(" or ")}`);
  return found;
}

export const METADATA_FILE = sharedFile("evaluation_metadata.jsonl");
export const OBJECT_NAMES_FILE = sharedFile("object_names.txt");

export function det(cls: string, box: Box, confidence = 0.95, color: Color = "red"): Detection {
  return { class: cls, box, confidence, color };
}
