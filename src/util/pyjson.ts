// JSON text exactly as Python's json.dumps writes it by default: ", " and ": " separators,
// keys in insertion order, every character outside printable ASCII escaped (ensure_ascii).
// GenEval's files are written that way; matching it byte for byte keeps round trips exact.

export type PyJson = string | number | boolean | null | PyJson[] | { [key: string]: PyJson | undefined };

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\b": "\\b",
  "\f": "\\f",
};

function pyString(s: string): string {
  // Python escapes everything but ' '..'~' (0x7f included); JS strings are UTF-16 already,
  // so astral characters come out as surrogate pairs, as Python writes them.
  return `"${s.replace(/[^ -~]|["\\]/g, (c) => SHORT_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)}"`;
}

function pyNumber(n: number): string {
  if (!Number.isInteger(n)) throw new Error(`pyJsonDumps: only integers are written, got ${n}`);
  return String(n);
}

/** `json.dumps(value)` in Python's default style; `undefined` object fields are left out. */
export function pyJsonDumps(value: PyJson): string {
  if (value === null) return "null";
  if (typeof value === "string") return pyString(value);
  if (typeof value === "number") return pyNumber(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (Array.isArray(value)) return `[${value.map(pyJsonDumps).join(", ")}]`;
  const fields = Object.entries(value).filter(([, v]) => v !== undefined) as [string, PyJson][];
  return `{${fields.map(([k, v]) => `${pyString(k)}: ${pyJsonDumps(v)}`).join(", ")}}`;
}
