// Shared test fixtures: the real GenEval files (vendored in suites/geneval/) and a detection maker.
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import type { Box, Color, Detection } from "../../src/geneval/types.js";

// dist/test/geneval/ -> repository root
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export const METADATA_FILE = join(ROOT, "suites", "geneval", "evaluation_metadata.jsonl");
export const OBJECT_NAMES_FILE = join(ROOT, "suites", "geneval", "object_names.txt");

export function det(cls: string, box: Box, confidence = 0.95, color: Color = "red"): Detection {
  return { class: cls, box, confidence, color };
}
