// The safetensors format (huggingface/safetensors): an 8-byte little-endian header length,
// a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {...}}, then raw bytes.
import { readFileSync } from "node:fs";
import { writeFileAtomic } from "../util/atomic.js";
import { fromBytes } from "./creation.js";
import { ops } from "./native.js";
import type { DType, Tensor } from "./tensor.js";

const CODES: Record<DType, string> = {
  float32: "F32",
  float64: "F64",
  int64: "I64",
  int32: "I32",
  bool: "BOOL",
  uint8: "U8",
  float16: "F16",
  bfloat16: "BF16",
};
const DTYPES = Object.fromEntries(Object.entries(CODES).map(([d, c]) => [c, d as DType])) as Record<string, DType>;

interface Entry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Serialises tensors (sorted by name, as the Python library does) with optional string metadata. */
export function serialize(tensors: Map<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const names = [...tensors.keys()].sort();
  const header: Record<string, Entry | Record<string, string>> = {};
  if (metadata) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const bytes = ops.toBytes(t.handle) as Uint8Array;
    header[name] = { dtype: CODES[t.dtype], shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (json.length % 8)) % 8); // the reference writer pads the header to 8 bytes
  const head = Buffer.from(json, "utf8");
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let pos = 8 + head.length;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

export function deserialize(bytes: Uint8Array, source = "buffer"): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  const fail = (why: string): never => {
    throw new Error(`${source}: not a valid safetensors file: ${why}`);
  };
  if (bytes.length < 8) fail("shorter than its 8-byte header length");
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (8 + n > bytes.length) fail(`header length ${n} exceeds the file size`);
  let header: Record<string, Entry | Record<string, string>>;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString("utf8"));
  } catch (e) {
    return fail(`header is not JSON (${(e as Error).message})`);
  }
  const data = bytes.subarray(8 + n);
  const tensors = new Map<string, Tensor>();
  for (const [name, e] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const { dtype, shape, data_offsets } = e as Entry;
    const dt = DTYPES[dtype] ?? fail(`'${name}' has unsupported dtype ${dtype}`);
    const [a, b] = data_offsets;
    if (!(a >= 0 && b >= a && b <= data.length)) fail(`'${name}' has data offsets [${a}, ${b}] outside the data`);
    tensors.set(name, fromBytes(data.slice(a, b), shape, dt));
  }
  return { tensors, metadata: (header.__metadata__ as Record<string, string>) ?? {} };
}

/** Writes atomically: a killed process never leaves a half-written weights file. */
export function saveSafetensors(path: string, tensors: Map<string, Tensor>, metadata?: Record<string, string>): void {
  writeFileAtomic(path, serialize(tensors, metadata));
}

export function loadSafetensors(path: string): { tensors: Map<string, Tensor>; metadata: Record<string, string> } {
  return deserialize(readFileSync(path), path);
}
