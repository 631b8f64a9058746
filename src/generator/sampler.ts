// Step-by-step decoding (MaskGIT / Show-o, METHOD.md section 1) of N paths as one batch.
// Each path owns its random stream, so truncating or branching one never changes another,
// and a path's state (tokens + stream position) can be saved and resumed exactly.
import { Generator, type Tensor, cat, gumbel, multinomial, noGrad, stack, tensor, tidy, where } from "../torch/index.js";
import type { GeneratorInput, MaskedGenerator } from "./model.js";

export interface SampleOptions {
  steps: number; // T decoding steps (Show-o: 18)
  cfg: number; // guidance g: (1 + g) * cond - g * uncond (Show-o: 1.75)
  temperature: number; // softmax temperature of the token draws
  confidenceTemperature: number; // Gumbel noise on confidences, annealed as temp * (1 - (t+1)/T)
}

export const DEFAULT_SAMPLE: SampleOptions = { steps: 18, cfg: 1.75, temperature: 1, confidenceTemperature: 4.5 };

/** Where a path stands: its tokens (mask id where unknown), the next step, its random stream. */
export interface PathState {
  id: number; // path index within its generation, stable under truncation
  seed: number;
  step: number; // steps done
  tokens: Int32Array; // (imageTokens) with maskId at masked positions
  rng: Uint8Array; // the stream's saved state
}

/** What one step produced for one live path. */
export interface StepResult {
  path: number;
  step: number; // 0-based index of the step just done
  tokens: Int32Array; // tokens fixed after this step (maskId where still masked)
  prediction: Int32Array; // the full prediction: fixed tokens plus this step's draws everywhere else
  confidence: Float32Array; // per position: log p of the drawn token (fixed positions: +Infinity)
  masked: number; // positions still masked
}

/** Positions left masked after step t (0-based) of T: floor(L cos(pi/2 (t+1)/T)), 0 after the last. */
export function maskedAfter(t: number, T: number, L: number, unknown: number): number {
  if (t >= T - 1) return 0;
  const n = Math.floor(L * Math.cos((Math.PI / 2) * ((t + 1) / T)));
  return Math.max(1, Math.min(unknown - 1, n));
}

export interface Conditioning {
  text: Int32Array; // (maxText) prompt ids, padded
  nullText: Int32Array; // (maxText) [NULL] + padding: the unconditional half of CFG
  reason?: Int32Array; // (maxReason) self-correction
  previous?: Int32Array; // (imageTokens) self-correction
}

/**
 * A batch of live decoding paths sharing one conditioning. step() advances every live path by
 * one step; truncate() drops paths (their remaining steps are never computed); states can be
 * saved and new paths started from them (branching, resuming).
 */
export class PathBatch {
  private paths: { state: PathState; gen: Generator }[] = [];
  /** Generator forward passes so far, counting each CFG half (NFE). */
  nfe = 0;

  constructor(
    private readonly model: MaskedGenerator,
    private readonly cond: Conditioning,
    readonly options: SampleOptions = DEFAULT_SAMPLE,
  ) {}

  /** Starts a fresh, fully masked path with its own stream. */
  start(id: number, seed: number): PathState {
    const gen = new Generator(seed);
    const state: PathState = {
      id,
      seed,
      step: 0,
      tokens: new Int32Array(this.model.config.imageTokens).fill(this.model.maskId),
      rng: gen.getState(),
    };
    this.paths.push({ state, gen });
    return state;
  }

  /** Continues from a saved state (a copy: the saved one stays valid for further branches). */
  resume(state: PathState, id = state.id): PathState {
    const gen = new Generator(state.seed);
    gen.setState(state.rng);
    const copy = { ...state, id, tokens: state.tokens.slice(), rng: state.rng.slice() };
    this.paths.push({ state: copy, gen });
    return copy;
  }

  /** A new path from a saved state's tokens and step, with a fresh stream of its own (PRM branching). */
  branch(state: PathState, id: number, seed: number): PathState {
    const gen = new Generator(seed);
    const copy = { ...state, id, seed, tokens: state.tokens.slice(), rng: gen.getState() };
    this.paths.push({ state: copy, gen });
    return copy;
  }

  /** Snapshot of a live path, to resume or branch later. */
  save(id: number): PathState {
    const p = this.find(id);
    return { ...p.state, tokens: p.state.tokens.slice(), rng: p.gen.getState() };
  }

  live(): number[] {
    return this.paths.map((p) => p.state.id);
  }

  done(): boolean {
    return this.paths.every((p) => p.state.step >= this.options.steps);
  }

  truncate(ids: number[]): void {
    const drop = new Set(ids);
    this.paths = this.paths.filter((p) => !drop.has(p.state.id));
  }

  tokens(id: number): Int32Array {
    return this.find(id).state.tokens;
  }

  private find(id: number) {
    const p = this.paths.find((q) => q.state.id === id);
    if (!p) throw new Error(`path ${id} is not live`);
    return p;
  }

  /** Advances every live path that has steps left by one step. */
  step(): StepResult[] {
    const active = this.paths.filter((p) => p.state.step < this.options.steps);
    if (active.length === 0) return [];
    const { cfg, temperature, confidenceTemperature, steps: T } = this.options;
    const L = this.model.config.imageTokens;
    const mask = this.model.maskId;
    const B = active.length;
    return noGrad(() =>
      tidy(() => {
        const image = tensor(concat(active.map((p) => p.state.tokens)), [B, L], "int64");
        const logits = this.guidedLogits(image, B, cfg); // (B, L, K)
        // per path, from its own stream: one draw per position, then Gumbel noise for the confidences
        const probs = logits.div(temperature).softmax(-1); // (B, L, K)
        const draws = stack(active.map((p, b) => multinomial(probs.select(0, b), 1, true, p.gen).squeeze(1))); // (B, L)
        const confNoise = stack(active.map((p) => gumbel([L], p.gen))); // (B, L)
        const drawnLogp = probs.gather(2, draws.unsqueeze(2)).squeeze(2).log(); // (B, L)
        const known = image.ne(mask);
        const prediction = where(known, image, draws); // fixed tokens kept
        const t = active[0].state.step;
        const annealed = confidenceTemperature * (1 - (t + 1) / T);
        const confidence = drawnLogp.add(confNoise.mul(annealed)).maskedFill(known, Infinity);
        const predArr = prediction.to("int32").data() as Int32Array;
        const confArr = confidence.data() as Float32Array;
        const logpArr = drawnLogp.maskedFill(known, Infinity).data() as Float32Array;
        return active.map((p, b) => {
          const s = p.state;
          if (s.step !== t) throw new Error("all live paths of a batch must be at the same step");
          const pred = predArr.slice(b * L, (b + 1) * L);
          const conf = confArr.subarray(b * L, (b + 1) * L);
          const unknown = s.tokens.reduce((n, x) => n + (x === mask ? 1 : 0), 0);
          const keepMasked = maskedAfter(t, T, L, unknown);
          // re-mask the lowest-confidence new tokens
          const order = Array.from({ length: L }, (_, i) => i).sort((a, c) => conf[a] - conf[c]);
          const next = pred.slice();
          for (let i = 0; i < keepMasked; i++) next[order[i]] = mask;
          s.tokens = next;
          s.step = t + 1;
          return {
            path: s.id,
            step: t,
            tokens: next,
            prediction: pred,
            confidence: logpArr.slice(b * L, (b + 1) * L),
            masked: keepMasked,
          };
        });
      }),
    );
  }

  private guidedLogits(image: Tensor, B: number, g: number): Tensor {
    const rows = (a: Int32Array | undefined) => (a ? tensor(concat(Array(B).fill(a)), [B, a.length], "int64") : undefined);
    const cond: GeneratorInput = { text: rows(this.cond.text)!, image, reason: rows(this.cond.reason), previous: rows(this.cond.previous) };
    if (g === 0) {
      this.nfe += B;
      return this.model.forward(cond);
    }
    // both halves in one batch: [cond; uncond]
    const both: GeneratorInput = {
      text: cat([cond.text, rows(this.cond.nullText)!]),
      image: cat([image, image]),
      reason: cond.reason ? cat([cond.reason, cond.reason]) : undefined,
      previous: cond.previous ? cat([cond.previous, cond.previous]) : undefined,
    };
    this.nfe += 2 * B;
    const out = this.model.forward(both); // (2B, L, K)
    return guide(out.slice(0, 0, B), out.slice(0, B), g);
  }
}

/** Classifier-free guidance: (1 + g) * cond - g * uncond; g = 0 returns cond itself. */
export function guide(cond: Tensor, uncond: Tensor, g: number): Tensor {
  return g === 0 ? cond : cond.mul(1 + g).sub(uncond.mul(g));
}

function concat(arrays: Int32Array[]): Int32Array {
  const out = new Int32Array(arrays.reduce((n, a) => n + a.length, 0));
  let o = 0;
  for (const a of arrays) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}
