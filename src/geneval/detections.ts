// Detections from any external detector, scored by the same rules. The JSONL format, one row per image:
//   {"metadata": {...GenEval metadata...},
//    "detections": [{"class": "clock", "box": [x0, y0, x1, y1], "confidence": 0.97, "color": "red"}, ...],
//    "prompt_index": 12,          (optional: images with the same index are samples of one prompt)
//    "filename": "00012/samples/0000.png"}   (optional: carried into the results)
// Boxes are in pixels, y downwards; color is one of GenEval's ten. Without prompt_index (on every row
// or on none) images are grouped by the metadata's prompt text, prompts numbered by first appearance.
import { InputError, parseInputFile } from "./errors.js";
import { formatMetadata, validateMetadata, type MetadataOptions } from "./metadata.js";
import type { ImageInput } from "./score.js";
import { COLORS, type Color, type Detection } from "./types.js";

const ROW_FIELDS = ["metadata", "detections", "prompt_index", "filename"];

function detection(raw: unknown, ctx: string, fail: (what: string) => never): Detection {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return fail(`${ctx} must be an object`);
  const d = raw as Record<string, unknown>;
  if (typeof d.class !== "string" || d.class === "") fail(`${ctx}.class must be a non-empty string`);
  const box = d.box;
  if (!Array.isArray(box) || box.length !== 4 || !box.every((v) => typeof v === "number" && Number.isFinite(v))) {
    fail(`${ctx}.box must be [x0, y0, x1, y1] (4 numbers), got ${JSON.stringify(box)}`);
  }
  if (typeof d.confidence !== "number" || !Number.isFinite(d.confidence)) fail(`${ctx}.confidence must be a number`);
  if (!COLORS.includes(d.color as Color)) fail(`unknown colour ${JSON.stringify(d.color)} in ${ctx}.color (valid: ${COLORS.join(", ")})`);
  return { class: d.class as string, box: box as Detection["box"], confidence: d.confidence as number, color: d.color as Color };
}

/** Parses the detections JSONL into images in file order, numbered per prompt; errors name the line. */
export function parseDetectionsJsonl(text: string, opts: MetadataOptions = {}): ImageInput[] {
  const images: ImageInput[] = [];
  const groups = new Map<string, { index: number; samples: number; meta: string; line: number }>();
  let indexed: boolean | undefined;
  text.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    const where = `line ${i + 1}`;
    const fail = (what: string): never => {
      throw new InputError(`${what} on ${where}`);
    };
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(line);
    } catch (e) {
      return fail(`bad JSON: ${(e as Error).message}`);
    }
    if (typeof row !== "object" || row === null || Array.isArray(row)) return fail("expected a JSON object");
    for (const k of Object.keys(row)) if (!ROW_FIELDS.includes(k)) fail(`unknown field '${k}' (valid: ${ROW_FIELDS.join(", ")})`);
    if (!("metadata" in row)) fail("missing field 'metadata'");
    if (!Array.isArray(row.detections)) fail("detections must be a list");
    const metadata = validateMetadata(row.metadata, where, opts);
    const detections = (row.detections as unknown[]).map((d, j) => detection(d, `detections[${j}]`, fail));
    if (row.filename !== undefined && typeof row.filename !== "string") fail("filename must be a string");

    const hasIndex = row.prompt_index !== undefined;
    if (indexed !== undefined && hasIndex !== indexed) fail("prompt_index must be given on every row or on none");
    indexed = hasIndex;
    if (hasIndex && (typeof row.prompt_index !== "number" || !Number.isInteger(row.prompt_index) || row.prompt_index < 0)) {
      fail(`prompt_index must be a non-negative integer, got ${JSON.stringify(row.prompt_index)}`);
    }
    const key = hasIndex ? `#${row.prompt_index}` : metadata.prompt;
    const meta = formatMetadata(metadata);
    let group = groups.get(key);
    if (!group) {
      group = { index: hasIndex ? (row.prompt_index as number) : groups.size, samples: 0, meta, line: i + 1 };
      groups.set(key, group);
    } else if (group.meta !== meta) {
      fail(`metadata differs from line ${group.line}, which has the same ${hasIndex ? "prompt_index" : "prompt"}`);
    }
    images.push({ promptIndex: group.index, sampleIndex: group.samples++, filename: (row.filename as string | undefined) ?? null, metadata, detections });
  });
  if (images.length === 0) throw new InputError("no rows");
  return images;
}

export function readDetectionsFile(path: string, opts: MetadataOptions = {}): ImageInput[] {
  return parseInputFile(path, (text) => parseDetectionsJsonl(text, opts));
}
