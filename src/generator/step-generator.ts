// The StepGenerator interface: what strategies drive, whether the generator runs in-process
// (./embedded-steps.ts) or behind the HTTP step protocol (./http-step-generator.ts). A session
// decodes the paths of one prompt in lockstep; strategies start, step, truncate, save, resume
// and branch paths, and ask for the images they look at, nothing more.
import type { RGBImage } from "../shapes/image.js";
import type { SampleOptions } from "./sampler.js";

/**
 * A saved path state. Opaque to strategies: only the session that made it (and sessions of the
 * same generator opened while it is open) read it, to resume, branch or self-correct from it.
 */
export interface PathRef {
  /** the path it was saved from */
  readonly path: number;
  /** steps done when it was saved */
  readonly step: number;
}

/** What one step did to one live path. */
export interface PathStep {
  path: number;
  /** 0-based index of the step just done */
  step: number;
  /** positions still masked after it */
  masked: number;
  /** the prediction's tokens, where the generator has tokens and sends them */
  prediction?: Int32Array;
  /** the tokens fixed after it (the mask id where still masked), where the generator has tokens and keeps them in-process */
  tokens?: Int32Array;
}

/** A finished path's image, and its tokens where the generator has tokens and sends them. */
export interface FinalImage {
  path: number;
  image: RGBImage;
  tokens?: Int32Array;
}

/** A new path: its id (stable under truncation) and the seed of its own random stream. */
export interface NewPath {
  id: number;
  seed: number;
}

/** Self-correction (PARM++): regenerate from the prompt, the previous attempt and what was wrong with it. */
export interface Correction {
  reason: string;
  /** the previous attempt: a finished path saved by a session of the same generator */
  previous: PathRef;
}

export interface OpenOptions {
  sample: SampleOptions;
  correction?: Correction;
  /** once aborted, the session refuses further steps (a client that left, a server that closes) */
  signal?: AbortSignal;
}

export interface StepGenerator {
  /** "embedded", or the URL of a step server: for traces, fingerprints and messages */
  readonly name: string;
  open(prompt: string, o: OpenOptions): Promise<StepSession>;
}

/**
 * The paths of one prompt (and one correction). Every path owns its random stream, so what a
 * path becomes never depends on the others; the unfinished paths are always at the same step.
 */
export interface StepSession {
  /** decoding steps of every path (T) */
  readonly steps: number;
  /** generator forward passes so far, counting each CFG half */
  readonly nfe: number;
  /** the live paths' ids, in the order they were added */
  live(): number[];
  /** whether every live path has done all its steps */
  done(): boolean;
  /** fresh, fully masked paths */
  start(paths: readonly NewPath[]): Promise<void>;
  /** new paths from a saved state's tokens and step, each with a fresh stream of its own (PRM) */
  branch(from: PathRef, paths: readonly NewPath[]): Promise<void>;
  /** a path continuing a saved state exactly, stream included */
  resume(from: PathRef, id: number): Promise<void>;
  /** advances every live path with steps left by one step */
  step(): Promise<PathStep[]>;
  /** drops paths: their remaining steps are never computed */
  truncate(ids: readonly number[]): Promise<void>;
  save(id: number): Promise<PathRef>;
  /** the prediction images of steps of the latest step() (decoded only when asked: decoding costs time) */
  images(steps: readonly PathStep[]): Promise<RGBImage[]>;
  /** the final images of finished paths, in the order asked */
  finals(ids: readonly number[]): Promise<FinalImage[]>;
  close(): Promise<void>;
}

/** The seed of path i of a generation seeded with `seed`: every path has its own stream. */
export function pathSeed(seed: number, path: number): number {
  return seed * 1009 + path;
}

/**
 * Runs `fn`, then closes the session `current()` names (a strategy may move on to another);
 * when fn fails, its error is what the caller hears, not a failing close's.
 */
export async function closing<T>(current: () => StepSession, fn: () => Promise<T>): Promise<T> {
  let out: T;
  try {
    out = await fn();
  } catch (e) {
    await current().close().catch(() => undefined);
    throw e;
  }
  await current().close();
  return out;
}

/** Runs `fn` on a fresh session and closes it however `fn` ends. */
export async function withSession<T>(g: StepGenerator, prompt: string, o: OpenOptions, fn: (s: StepSession) => Promise<T>): Promise<T> {
  const s = await g.open(prompt, o);
  return closing(() => s, () => fn(s));
}

/** The generator with every session it opens bound to `signal` (a job that stops when its client leaves). */
export function withSignal(g: StepGenerator, signal: AbortSignal): StepGenerator {
  return { name: g.name, open: (prompt, o) => g.open(prompt, { ...o, signal: o.signal ? AbortSignal.any([o.signal, signal]) : signal }) };
}
