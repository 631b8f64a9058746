// Other generators a worker can make jobs with: a job asks for a generator by its content hash,
// and a worker started with --generators DIR... looks for weights of that hash in those folders
// of its own machine (iterative DPO's rounds, an aligned generator's rows: weights written after
// the workers started). Found weights are loaded beside the worker's own models, sharing its
// tokenizer and self-correction generators, and kept for later jobs; at most a few at once.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileHash } from "../util/file-hash.js";

/** Weights files under `dirs` (recursively), by content hash; each file hashed once per (inode, size, mtime): an atomic rewrite is a new inode. */
export function generatorFinder(dirs: readonly string[]): (hash: string) => string | null {
  const known = new Map<string, { ino: number; size: number; mtimeMs: number; hash: string | null }>();
  const hashOf = (file: string): string | null => {
    const s = statSync(file, { throwIfNoEntry: false });
    if (!s) return null;
    const k = known.get(file);
    if (k && k.ino === s.ino && k.size === s.size && k.mtimeMs === s.mtimeMs) return k.hash;
    const hash = fileHash(file);
    known.set(file, { ino: s.ino, size: s.size, mtimeMs: s.mtimeMs, hash });
    return hash;
  };
  const files = (dir: string): string[] => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return []; // a folder not made yet (the run that writes it has not started)
    }
    return entries.flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".safetensors") ? [join(dir, e.name)] : []));
  };
  return (hash) => dirs.flatMap(files).find((f) => hashOf(f) === hash) ?? null;
}

interface Loaded<P> {
  value: P;
  running: number;
  used: number;
}

/**
 * Loaded alternates by hash, at most `max`: a new one evicts (disposes) the least recently used
 * that no job is running on; while more than `max` are busy it holds them all, and evicts as they
 * go idle.
 */
export class GeneratorShelf<P> {
  private readonly loaded = new Map<string, Loaded<P>>();
  private clock = 0;

  constructor(
    private readonly load: (hash: string) => P | null,
    private readonly dispose: (value: P) => void,
    private readonly max = 2,
  ) {}

  /** The alternate of this hash for one job (null: none to be found); release it when the job ends. */
  acquire(hash: string): P | null {
    let entry = this.loaded.get(hash);
    if (!entry) {
      const value = this.load(hash);
      if (value === null) return null;
      this.evict(this.max - 1); // room for it before it is counted in: a dispose that throws pins nothing
      entry = { value, running: 0, used: 0 };
      this.loaded.set(hash, entry);
    }
    entry.running++;
    entry.used = ++this.clock;
    return entry.value;
  }

  release(hash: string): void {
    const entry = this.loaded.get(hash);
    if (entry) entry.running--;
    this.evict(this.max);
  }

  /** Hashes loaded now (for tests and logs). */
  hashes(): string[] {
    return [...this.loaded.keys()];
  }

  /** Disposes idle ones, least recently used first, until at most `keep` are loaded or none is idle. */
  private evict(keep: number): void {
    while (this.loaded.size > keep) {
      const idle = [...this.loaded.entries()].filter(([, e]) => e.running === 0).sort((a, b) => a[1].used - b[1].used)[0];
      if (!idle) return;
      this.loaded.delete(idle[0]);
      this.dispose(idle[1].value);
    }
  }

  disposeAll(): void {
    for (const e of this.loaded.values()) this.dispose(e.value);
    this.loaded.clear();
  }
}
