// GenEval's prompt metadata JSONL: strict reading (every problem named with its line and the
// valid choices) and writing in the exact bytes of GenEval's own file (Python json.dumps style).
import { writeFileAtomic } from "../util/atomic.js";
import { pyJsonDumps } from "../util/pyjson.js";
import { parseInputFile } from "./errors.js";
import { InputError } from "../util/errors.js";
import { COLORS, RELATIONS, TAGS, type Color, type Exclude, type Include, type PromptMeta, type Relation, type Tag } from "./types.js";

export interface MetadataOptions {
  /** When given, every include and exclude class must be one of these. */
  classes?: readonly string[];
}

const META_FIELDS = ["tag", "include", "exclude", "prompt"];
const INCLUDE_FIELDS = ["class", "count", "color", "position"];
const EXCLUDE_FIELDS = ["class", "count"];

function show(v: unknown): string {
  return typeof v === "string" ? `'${v}'` : JSON.stringify(v) ?? String(v);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Checks one parsed metadata value; `where` ends every message ("line 7", "path/metadata.jsonl"). */
export function validateMetadata(value: unknown, where: string, opts: MetadataOptions = {}): PromptMeta {
  const fail = (what: string, valid?: readonly (string | number)[]): never => {
    throw new InputError(`${what} on ${where}${valid ? ` (valid: ${valid.join(", ")})` : ""}`);
  };
  const fields = (obj: Record<string, unknown>, allowed: string[], required: string[], ctx: string): void => {
    const at = ctx ? ` in ${ctx}` : "";
    for (const k of Object.keys(obj)) if (!allowed.includes(k)) fail(`unknown field '${k}'${at}`, allowed);
    for (const k of required) if (!(k in obj)) fail(`missing field '${k}'${at}`);
  };
  const className = (v: unknown, ctx: string): string => {
    if (typeof v !== "string" || v === "") return fail(`class must be a non-empty string in ${ctx}, got ${show(v)}`);
    if (opts.classes && !opts.classes.includes(v)) return fail(`unknown class ${show(v)} in ${ctx}`, opts.classes);
    return v;
  };
  const count = (v: unknown, ctx: string): number => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1) return fail(`count must be a positive integer in ${ctx}, got ${show(v)}`);
    return v;
  };

  if (!isObject(value)) return fail(`expected a JSON object, got ${show(value)}`);
  fields(value, META_FIELDS, ["tag", "include", "prompt"], "");
  const tag = value.tag;
  if (!TAGS.includes(tag as Tag)) fail(`unknown tag ${show(tag)}`, TAGS);
  if (typeof value.prompt !== "string") fail(`prompt must be a string, got ${show(value.prompt)}`);
  if (!Array.isArray(value.include) || value.include.length === 0) fail(`include must be a non-empty list, got ${show(value.include)}`);

  const include = (value.include as unknown[]).map((raw, i): Include => {
    const ctx = `include[${i}]`;
    if (!isObject(raw)) return fail(`${ctx} must be an object, got ${show(raw)}`);
    fields(raw, INCLUDE_FIELDS, ["class", "count"], ctx);
    const inc: Include = { class: className(raw.class, ctx), count: count(raw.count, ctx) };
    if ("color" in raw) {
      if (!COLORS.includes(raw.color as Color)) fail(`unknown colour ${show(raw.color)} in ${ctx}`, COLORS);
      inc.color = raw.color as Color;
    }
    if ("position" in raw) {
      const pos = raw.position;
      if (!Array.isArray(pos) || pos.length !== 2) return fail(`position must be [relation, group index] in ${ctx}, got ${show(pos)}`);
      if (!RELATIONS.includes(pos[0] as Relation)) fail(`unknown relation ${show(pos[0])} in ${ctx}`, RELATIONS);
      // GenEval looks the target up among the groups matched so far: only an earlier include can be one.
      if (typeof pos[1] !== "number" || !Number.isInteger(pos[1]) || pos[1] < 0 || pos[1] >= i) {
        if (i === 0) fail(`position in include[0] has no earlier include to refer to`);
        fail(`position group index ${show(pos[1])} out of range in ${ctx}`, Array.from({ length: i }, (_, k) => k));
      }
      inc.position = [pos[0] as Relation, pos[1] as number];
    }
    return inc;
  });

  const meta: PromptMeta = { tag: tag as Tag, include, prompt: value.prompt as string };
  if ("exclude" in value) {
    if (!Array.isArray(value.exclude)) fail(`exclude must be a list, got ${show(value.exclude)}`);
    meta.exclude = (value.exclude as unknown[]).map((raw, i): Exclude => {
      const ctx = `exclude[${i}]`;
      if (!isObject(raw)) return fail(`${ctx} must be an object, got ${show(raw)}`);
      fields(raw, EXCLUDE_FIELDS, EXCLUDE_FIELDS, ctx);
      return { class: className(raw.class, ctx), count: count(raw.count, ctx) };
    });
  }
  return meta;
}

/** Parses one line of metadata JSON; `where` names it in errors. */
export function parseMetadata(text: string, where: string, opts: MetadataOptions = {}): PromptMeta {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new InputError(`bad JSON on ${where}: ${(e as Error).message}`);
  }
  return validateMetadata(value, where, opts);
}

/** Parses a metadata JSONL text; blank lines are skipped, line numbers count from 1. */
export function parseMetadataJsonl(text: string, opts: MetadataOptions = {}): PromptMeta[] {
  const metas: PromptMeta[] = [];
  text.split("\n").forEach((line, i) => {
    if (line.trim() !== "") metas.push(parseMetadata(line, `line ${i + 1}`, opts));
  });
  return metas;
}

export function readMetadataFile(path: string, opts: MetadataOptions = {}): PromptMeta[] {
  return parseInputFile(path, (text) => parseMetadataJsonl(text, opts));
}

/** One metadata line, without its newline, in GenEval's field order and spacing. */
export function formatMetadata(meta: PromptMeta): string {
  return pyJsonDumps({
    tag: meta.tag,
    include: meta.include.map((inc) => ({ class: inc.class, count: inc.count, color: inc.color, position: inc.position })),
    exclude: meta.exclude?.map((exc) => ({ class: exc.class, count: exc.count })),
    prompt: meta.prompt,
  });
}

/** A whole JSONL text: one line per prompt, each ending in a newline (as GenEval's print does). */
export function formatMetadataJsonl(metas: readonly PromptMeta[]): string {
  return metas.map((m) => formatMetadata(m) + "\n").join("");
}

export function writeMetadataFile(path: string, metas: readonly PromptMeta[]): void {
  writeFileAtomic(path, formatMetadataJsonl(metas));
}

export interface MetadataStats {
  total: number;
  /** Prompts per tag, every tag in TAGS order (0 when absent). */
  by_tag: Record<Tag, number>;
}

export function metadataStats(metas: readonly PromptMeta[]): MetadataStats {
  const by_tag = Object.fromEntries(TAGS.map((t) => [t, 0])) as Record<Tag, number>;
  for (const m of metas) by_tag[m.tag]++;
  return { total: metas.length, by_tag };
}
