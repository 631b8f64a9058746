// Weights on disk: safetensors round trip, format conformance, loading that checks everything.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Linear, Module, loadSafetensors, saveSafetensors, tensor, tidy, dispose } from "../../src/torch/index.js";

const dir = mkdtempSync(join(tmpdir(), "imagecot-st-"));

test("round trip of every dtype, with metadata", () =>
  tidy(() => {
    const path = join(dir, "a.safetensors");
    const tensors = new Map([
      ["f32", tensor([1.5, -2, 3], [3])],
      ["f64", tensor([Math.PI], [1, 1], "float64")],
      ["i64", tensor([1, -9007199254740991], [2], "int64")],
      ["i32", tensor([7], [1], "int32")],
      ["mask", tensor([1, 0, 1, 1], [2, 2], "bool")],
      ["f16", tensor([0.5, 2], [2]).to("float16")],
      ["scalar", tensor([4], [])],
    ]);
    saveSafetensors(path, tensors, { format: "pt", note: "x" });
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith(".tmp")), [], "no temp file left behind");
    const { tensors: back, metadata } = loadSafetensors(path);
    assert.deepEqual(metadata, { format: "pt", note: "x" });
    for (const [k, t] of tensors) {
      const b = back.get(k)!;
      assert.equal(b.dtype, t.dtype, k);
      assert.deepEqual(b.shape, t.shape, k);
      assert.deepEqual(b.toArray(), t.toArray(), k);
    }
    dispose([...back.values()]);
  }));

test("the file follows the format: u64 LE header size, JSON header, contiguous offsets, 8-byte aligned", () =>
  tidy(() => {
    const path = join(dir, "b.safetensors");
    saveSafetensors(path, new Map([["b", tensor([1, 2], [2])], ["a", tensor([3], [1], "int64")]]));
    const buf = readFileSync(path);
    const n = Number(buf.readBigUInt64LE(0));
    assert.equal((8 + n) % 8, 0);
    const header = JSON.parse(buf.subarray(8, 8 + n).toString("utf8"));
    assert.deepEqual(header.a, { dtype: "I64", shape: [1], data_offsets: [0, 8] });
    assert.deepEqual(header.b, { dtype: "F32", shape: [2], data_offsets: [8, 16] });
    assert.equal(buf.length, 8 + n + 16);
    assert.equal(buf.readFloatLE(8 + n + 12), 2);
  }));

test("readable by an independent reader (Python + numpy, following the spec)", (t) => {
  const path = join(dir, "c.safetensors");
  tidy(() => saveSafetensors(path, new Map([["w", tensor([1, 2, 3, 4, 5, 6], [2, 3])]])));
  const py = `import json,struct,sys,numpy as np
b=open(sys.argv[1],'rb').read(); n=struct.unpack('<Q',b[:8])[0]; h=json.loads(b[8:8+n]); e=h['w']
a=np.frombuffer(b[8+n+e['data_offsets'][0]:8+n+e['data_offsets'][1]],dtype='<f4').reshape(e['shape'])
print(json.dumps(a.tolist()))`;
  let out: string;
  try {
    out = execFileSync("python3", ["-c", py, path], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch {
    t.skip("python3 with numpy is not available");
    return;
  }
  assert.deepEqual(JSON.parse(out), [
    [1, 2, 3],
    [4, 5, 6],
  ]);
});

class Two extends Module {
  readonly a = this.module("a", new Linear(3, 2));
  readonly b = this.module("b", new Linear(2, 2, false));
}

test("loading into a model reports every mismatch by name, shape and dtype", () => {
  const m = new Two();
  const path = join(dir, "m.safetensors");
  saveSafetensors(path, m.stateDict());
  const other = new Two();
  const { tensors } = loadSafetensors(path);
  other.loadStateDict(tensors);
  assert.deepEqual(other.a.weight.toArray(), m.a.weight.toArray());
  tidy(() => {
    const bad = new Map(tensors);
    bad.set("a.weight", tensor([1, 2, 3], [1, 3]));
    bad.set("b.weight", tensor([1, 2, 3, 4], [2, 2], "float64"));
    bad.delete("a.bias");
    bad.set("extra", tensor([1]));
    assert.throws(
      () => other.loadStateDict(bad),
      (e: Error) =>
        /'a.weight': shape 1x3 in file, 2x3 in model/.test(e.message) &&
        /'b.weight': dtype float64 in file, float32 in model/.test(e.message) &&
        /missing 'a.bias' \(expected 2 float32\)/.test(e.message) &&
        /unexpected 'extra'/.test(e.message),
    );
  });
  dispose([...tensors.values()]);
  m.dispose();
  other.dispose();
});

test("a corrupt file fails with a clear message", () => {
  const path = join(dir, "bad.safetensors");
  writeFileSync(path, Buffer.from([1, 2, 3]));
  assert.throws(() => loadSafetensors(path), /not a valid safetensors file: shorter than its 8-byte header length/);
  const b = Buffer.alloc(12);
  b.writeBigUInt64LE(1000n, 0);
  writeFileSync(path, b);
  assert.throws(() => loadSafetensors(path), /header length 1000 exceeds the file size/);
});
