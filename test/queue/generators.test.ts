// The worker's other generators: found by content hash in its folders (nested, written after it
// started, rewritten in place), and kept loaded a few at a time, never evicted while a job runs.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { GeneratorShelf, generatorFinder } from "../../src/queue/generators.js";
import { fileHash } from "../../src/util/file-hash.js";

const root = mkdtempSync(join(tmpdir(), "imagecot-generators-"));
after(() => rmSync(root, { recursive: true, force: true }));

test("generatorFinder: a file by its hash in nested folders, one written later, one rewritten", () => {
  const dirs = [join(root, "a"), join(root, "later")];
  mkdirSync(join(root, "a", "round-1"), { recursive: true });
  const one = join(root, "a", "round-1", "generator.safetensors");
  writeFileSync(one, "weights one");
  writeFileSync(join(root, "a", "notes.json"), "weights two"); // not a weights file
  const find = generatorFinder(dirs);
  const h1 = fileHash(one)!;
  assert.equal(find(h1), one);
  const h2 = fileHash(join(root, "a", "notes.json"))!;
  assert.equal(find(h2), null, "only .safetensors files");

  mkdirSync(join(root, "later"));
  const two = join(root, "later", "g.safetensors");
  writeFileSync(two, "weights two");
  assert.equal(find(h2), two, "a folder made after the finder");

  writeFileSync(one, "weights three!");
  utimesSync(one, new Date(), new Date(Date.now() + 5000));
  assert.equal(find(h1), null, "the rewritten file is hashed again");
  assert.equal(find(fileHash(one)!), one);
});

test("GeneratorShelf: loads once, evicts the least recently used idle one, never a running one", () => {
  const loaded: string[] = [];
  const disposed: string[] = [];
  const shelf = new GeneratorShelf<string>((h) => (h === "missing" ? null : (loaded.push(h), `model ${h}`)), (m) => disposed.push(m), 2);
  assert.equal(shelf.acquire("missing"), null);
  assert.equal(shelf.acquire("a"), "model a");
  shelf.release("a");
  assert.equal(shelf.acquire("b"), "model b"); // b stays running
  assert.equal(shelf.acquire("a"), "model a");
  shelf.release("a");
  assert.deepEqual(loaded, ["a", "b"], "a loaded once");
  assert.equal(shelf.acquire("c"), "model c");
  assert.deepEqual(disposed, ["model a"], "a: idle and least recently used (b runs)");
  assert.deepEqual(shelf.hashes().sort(), ["b", "c"]);
  assert.equal(shelf.acquire("d"), "model d");
  assert.deepEqual(disposed, ["model a"], "b and c run: the shelf holds one more for a while");
  shelf.release("c");
  assert.deepEqual(disposed, ["model a", "model c"], "c went idle: evicted");
  shelf.release("b");
  shelf.release("d");
  shelf.disposeAll();
  assert.deepEqual(disposed.sort(), ["model a", "model b", "model c", "model d"]);
});
