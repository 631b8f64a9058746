// A cache of tokenized training renders, so that a generator training step spends its time in
// the model, not in rendering and encoding. Rows are renders of training prompts (never a test
// prompt) made by the deterministic `trainingBatch(seed, chunk, ...)`, so a cache is a pure
// function of (tokenizer, seed, rows): a fresh machine rebuilds the same file. Building resumes
// from the rows already written; each write is atomic.
import { existsSync } from "node:fs";
import { imagesToTensor } from "../tokenizer/pixels.js";
import { tokenizerId } from "../tokenizer/id.js";
import type { VQAutoencoder } from "../tokenizer/vq.js";
import { dispose, loadSafetensors, noGrad, saveSafetensors, tensor, tidy } from "../torch/index.js";
import { type ClassWeights, classWeightsKey } from "../shapes/train-prompts.js";
import { trainingBatch } from "../train/data.js";
import { mulberry32 } from "../util/prng.js";
import { promptIds } from "./prompt.js";
import type { GeneratorBatch } from "./train.js";

export interface TokenCache {
  rows: number;
  maxText: number;
  imageTokens: number;
  text: Int32Array; // (rows, maxText) prompt ids, [PAD]-padded
  tokens: Int32Array; // (rows, imageTokens) image token ids
}

export interface BuildCacheOptions {
  path: string;
  rows: number;
  seed: number;
  maxText: number;
  chunk?: number; // rows rendered and encoded at a time
  saveEvery?: number; // chunks between atomic writes
  onProgress?: (done: number, total: number) => void;
  /** renders of prompts reweighted by the classes they name (recorded in the file: a cache of other weights is refused) */
  classWeights?: ClassWeights;
}

function readCache(path: string, expect: { tokenizer: string; seed: number; maxText: number; chunk: number; classWeights: string }): TokenCache | null {
  if (!existsSync(path)) return null;
  const { tensors, metadata } = loadSafetensors(path);
  try {
    const weights = metadata.class_weights ?? ""; // caches made before class weights have none
    const same = metadata.tokenizer === expect.tokenizer && Number(metadata.seed) === expect.seed && Number(metadata.max_text) === expect.maxText && Number(metadata.chunk) === expect.chunk && weights === expect.classWeights;
    if (!same)
      throw new Error(
        `${path} was made with tokenizer ${metadata.tokenizer}, seed ${metadata.seed}, max_text ${metadata.max_text}, chunk ${metadata.chunk}, class weights '${weights}'; this run has ${expect.tokenizer}, ${expect.seed}, ${expect.maxText}, ${expect.chunk}, '${expect.classWeights}' (delete it or give another --cache)`,
      );
    const text = tensors.get("text")!;
    const tokens = tensors.get("tokens")!;
    return { rows: text.size(0), maxText: text.size(1), imageTokens: tokens.size(1), text: text.data() as Int32Array, tokens: tokens.data() as Int32Array };
  } finally {
    dispose([...tensors.values()]);
  }
}

function writeCache(path: string, c: TokenCache, meta: Record<string, string>): void {
  tidy(() =>
    saveSafetensors(
      path,
      new Map([
        ["text", tensor(c.text.subarray(0, c.rows * c.maxText), [c.rows, c.maxText], "int32")],
        ["tokens", tensor(c.tokens.subarray(0, c.rows * c.imageTokens), [c.rows, c.imageTokens], "int32")],
      ]),
      meta,
    ),
  );
}

/** Builds (or finishes, or just reads) the cache at `path`. */
export function buildTokenCache(vq: VQAutoencoder, o: BuildCacheOptions): TokenCache {
  const chunk = o.chunk ?? 64;
  const L = vq.grid ** 2;
  const tok = tokenizerId(vq);
  const classWeights = classWeightsKey(o.classWeights);
  const meta = { tokenizer: tok, seed: String(o.seed), max_text: String(o.maxText), chunk: String(chunk), ...(classWeights ? { class_weights: classWeights } : {}) };
  const have = readCache(o.path, { tokenizer: tok, seed: o.seed, maxText: o.maxText, chunk, classWeights });
  // a longer cache serves a shorter run: its first rows are the same rows
  if (have && have.rows >= o.rows) return { ...have, rows: o.rows, text: have.text.subarray(0, o.rows * o.maxText), tokens: have.tokens.subarray(0, o.rows * L) };
  const c: TokenCache = { rows: have?.rows ?? 0, maxText: o.maxText, imageTokens: L, text: new Int32Array(o.rows * o.maxText), tokens: new Int32Array(o.rows * L) };
  if (have) {
    c.text.set(have.text);
    c.tokens.set(have.tokens);
  }
  const saveEvery = o.saveEvery ?? 100;
  // row r is sample r % chunk of chunk floor(r / chunk), whatever run wrote it
  for (let k = Math.floor(c.rows / chunk); c.rows < o.rows; k++) {
    o.onProgress?.(c.rows, o.rows);
    const { metas, images } = trainingBatch(o.seed, k, chunk, vq.config.imageSize, o.classWeights);
    const ids = noGrad(() => tidy(() => vq.encode(imagesToTensor(images)).reshape([chunk, L]).data() as BigInt64Array));
    const from = c.rows - k * chunk;
    const to = Math.min(chunk, o.rows - k * chunk);
    for (let i = from; i < to; i++) {
      const r = k * chunk + i;
      c.text.set(promptIds(metas[i].prompt, o.maxText), r * o.maxText);
      for (let j = 0; j < L; j++) c.tokens[r * L + j] = Number(ids[i * L + j]);
    }
    c.rows = k * chunk + to;
    if (k % saveEvery === saveEvery - 1 || c.rows === o.rows) writeCache(o.path, c, meta);
  }
  o.onProgress?.(c.rows, o.rows);
  return c;
}

/** The rows of a training step: drawn from the cache by a stream fixed by (seed, step), with prompt dropout for CFG. */
export function cacheBatch(c: TokenCache, seed: number, step: number, batch: number, condDropout: number): GeneratorBatch {
  const rng = mulberry32((seed * 7919 + step * 104_729) >>> 0);
  const nullRow = promptIds(null, c.maxText);
  const text: number[][] = [];
  const tokens: number[][] = [];
  for (let i = 0; i < batch; i++) {
    const r = Math.floor(rng() * c.rows);
    text.push(rng() < condDropout ? nullRow : Array.from(c.text.subarray(r * c.maxText, (r + 1) * c.maxText)));
    tokens.push(Array.from(c.tokens.subarray(r * c.imageTokens, (r + 1) * c.imageTokens)));
  }
  return { text, tokens };
}
