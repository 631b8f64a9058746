// A tokenizer's identity: a hash of its weights. Every model that reads or writes tokens
// records the id of the tokenizer it was trained with, so pairing it with another one is an
// error at load time, never silent garbage.
import { createHash } from "node:crypto";
import { ops } from "../torch/native.js";
import type { VQAutoencoder } from "./vq.js";

const ids = new WeakMap<VQAutoencoder, string>();

/** sha256 over the tokenizer's tensors (sorted by name), first 16 hex digits; cached per instance. */
export function tokenizerId(vq: VQAutoencoder): string {
  const known = ids.get(vq);
  if (known) return known;
  const h = createHash("sha256");
  for (const [name, t] of [...vq.stateDict()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    h.update(name);
    h.update(ops.toBytes(t.handle) as Uint8Array);
  }
  const id = h.digest("hex").slice(0, 16);
  ids.set(vq, id);
  return id;
}
