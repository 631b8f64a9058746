// Detections from any external detector, scored by the same rules. The JSONL format, one row per image:
//   {"metadata": {...GenEval metadata...},
//    "detections": [{"class": "clock", "box": [x0, y0, x1, y1], "confidence": 0.97, "color": "red"}, ...],
//    "prompt_index": 12,          (optional: images with the same index are samples of one prompt)
//    "filename": "00012/samples/0000.png"}   (optional: carried into the results)
// Boxes are in pixels, y downwards; color is one of GenEval's ten, or absent (a colour check then
// fails, saying so). Without prompt_index (on every row or on none) images are grouped by the
// metadata's prompt text, prompts numbered by first appearance.
//
// GenEval's own results.jsonl (evaluate_images.py) is read too: rows of {filename, tag, prompt,
// correct, reason, metadata: JSON string, details: JSON string {class: [[x0, y0, x1, y1, conf], ...]}}.
// Its detections carry no colour; its own verdict is kept as `reported`.
import { parseInputFile } from "./errors.js";
import { InputError } from "../util/errors.js";
import { formatMetadata, validateMetadata, type MetadataOptions } from "./metadata.js";
import type { ImageInput } from "./score.js";
import { COLORS, type Color, type Detection } from "./types.js";

const ROW_FIELDS = ["metadata", "detections", "prompt_index", "filename"];
const GENEVAL_FIELDS = ["filename", "tag", "prompt", "correct", "reason", "metadata", "details"];

/** A row of GenEval's results.jsonl as one of ours: metadata parsed, details turned into colourless detections. */
function fromGenEvalRow(row: Record<string, unknown>, fail: (what: string) => never): Record<string, unknown> {
  for (const k of Object.keys(row)) if (!GENEVAL_FIELDS.includes(k)) fail(`unknown field '${k}' in a GenEval results row (valid: ${GENEVAL_FIELDS.join(", ")})`);
  const json = (field: string): unknown => {
    if (typeof row[field] !== "string") return fail(`${field} must be a JSON string, as GenEval writes it`);
    try {
      return JSON.parse(row[field] as string);
    } catch (e) {
      return fail(`${field} is not valid JSON: ${(e as Error).message}`);
    }
  };
  const details = json("details");
  if (typeof details !== "object" || details === null || Array.isArray(details)) return fail("details must map class names to lists of boxes");
  const detections = Object.entries(details as Record<string, unknown>).flatMap(([cls, boxes]) => {
    if (!Array.isArray(boxes)) return fail(`details.${cls} must be a list of [x0, y0, x1, y1, confidence]`);
    return boxes.map((b, j) => {
      if (!Array.isArray(b) || b.length !== 5) return fail(`details.${cls}[${j}] must be [x0, y0, x1, y1, confidence]`);
      return { class: cls, box: b.slice(0, 4), confidence: b[4] };
    });
  });
  if (row.correct !== undefined && typeof row.correct !== "boolean") fail("correct must be true or false");
  return { metadata: json("metadata"), detections, filename: row.filename, reported: row.correct };
}

function detection(raw: unknown, ctx: string, fail: (what: string) => never): Detection {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return fail(`${ctx} must be an object`);
  const d = raw as Record<string, unknown>;
  if (typeof d.class !== "string" || d.class === "") fail(`${ctx}.class must be a non-empty string`);
  const box = d.box;
  if (!Array.isArray(box) || box.length !== 4 || !box.every((v) => typeof v === "number" && Number.isFinite(v))) {
    fail(`${ctx}.box must be [x0, y0, x1, y1] (4 numbers), got ${JSON.stringify(box)}`);
  }
  if (typeof d.confidence !== "number" || !Number.isFinite(d.confidence)) fail(`${ctx}.confidence must be a number`);
  if (d.color !== undefined && !COLORS.includes(d.color as Color)) fail(`unknown colour ${JSON.stringify(d.color)} in ${ctx}.color (valid: ${COLORS.join(", ")}; or leave it out)`);
  const out: Detection = { class: d.class as string, box: box as Detection["box"], confidence: d.confidence as number };
  if (d.color !== undefined) out.color = d.color as Color;
  return out;
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
    const reported = "details" in row ? (row = fromGenEvalRow(row, fail)).reported : undefined;
    delete row.reported;
    for (const k of Object.keys(row)) if (!ROW_FIELDS.includes(k)) fail(`unknown field '${k}' (valid: ${ROW_FIELDS.join(", ")}; or GenEval's results.jsonl rows)`);
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
    const image: ImageInput = { promptIndex: group.index, sampleIndex: group.samples++, filename: (row.filename as string | undefined) ?? null, metadata, detections };
    if (typeof reported === "boolean") image.reported = reported;
    images.push(image);
  });
  if (images.length === 0) throw new InputError("no rows");
  return images;
}

export function readDetectionsFile(path: string, opts: MetadataOptions = {}): ImageInput[] {
  return parseInputFile(path, (text) => parseDetectionsJsonl(text, opts));
}
