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
  /**
   * nats taken off the confidence of a drawn flat-background token (the tokenizer's last id), so
   * re-masking fixes shape tokens first and background last; absent or 0: Show-o's rule
   */
  flatPenalty?: number;
}

/**
 * Temperature, guidance and the flat-background penalty chosen on held-out training prompts
 * (results/heldout-generator.json at 0.7, heldout-generator-t1.json, heldout-temperature-0.5.json,
 * heldout-cfg-*.json; the penalty: results/sampler-sweep/base-*flat-2.json against the seeds'
 * defaults; README: Generator v2).
 */
export const DEFAULT_SAMPLE: SampleOptions = { steps: 18, cfg: 1.75, temperature: 0.7, confidenceTemperature: 4.5, flatPenalty: 2 };

/**
 * A flat penalty as recorded beside what it made: 0 is Show-o's rule and left out, so that data
 * made before the penalty existed reads as made with the same settings.
 */
export const recordedFlatPenalty = (flatPenalty: number | undefined): { flatPenalty?: number } => (flatPenalty ? { flatPenalty } : {});

/** The settings as recorded beside what they made (recordedFlatPenalty). */
export function recordedSample(s: SampleOptions): SampleOptions {
  const { flatPenalty, ...rest } = s;
  return { ...rest, ...recordedFlatPenalty(flatPenalty) };
}

/** Sequences one path's step costs: both CFG halves, except unguided (cfg 0) which skips the unconditional one. */
export const cfgHalves = (cfg: number): number => (cfg === 0 ? 1 : 2);

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

/** One step's model input for a PathBatch's active paths: rows of ids, concatenated. */
export interface StepRows {
  B: number;
  image: Int32Array; // (B, imageTokens)
  text: Int32Array; // (B, maxText)
  nullText: Int32Array; // (B, maxText): the unconditional half of CFG
  reason?: Int32Array; // (B, maxReason)
  previous?: Int32Array; // (B, imageTokens)
}

/** What runs a PathBatch's step: a StepBatcher shares the pass with other batches. */
export interface StepRunner {
  readonly maxRows: number;
  step(batch: PathBatch, rows: StepRows): Promise<StepResult[]>;
}

/**
 * A batch of live decoding paths, each with its conditioning (by default the batch's). step()
 * advances every live path by one step; truncate() drops paths (their remaining steps are never
 * computed); states can be saved and new paths started from them (branching, resuming). Given a
 * StepBatcher, the forward pass is shared with other batches' paths (other prompts, other
 * images); each path's draws come from its own stream, so its result does not change.
 */
export class PathBatch {
  private paths: { state: PathState; gen: Generator; cond: Conditioning }[] = [];
  /** Generator forward passes so far, counting each CFG half (NFE). */
  nfe = 0;

  constructor(
    readonly model: MaskedGenerator,
    private readonly cond: Conditioning,
    readonly options: SampleOptions = DEFAULT_SAMPLE,
    private readonly batcher?: StepRunner,
  ) {}

  /** Starts a fresh, fully masked path with its own stream. */
  start(id: number, seed: number, cond = this.cond): PathState {
    const gen = new Generator(seed);
    const state: PathState = {
      id,
      seed,
      step: 0,
      tokens: new Int32Array(this.model.config.imageTokens).fill(this.model.maskId),
      rng: gen.getState(),
    };
    this.paths.push({ state, gen, cond });
    return state;
  }

  /** Continues from a saved state (a copy: the saved one stays valid for further branches). */
  resume(state: PathState, id = state.id, cond = this.cond): PathState {
    const gen = new Generator(state.seed);
    gen.setState(state.rng);
    const copy = { ...state, id, tokens: state.tokens.slice(), rng: state.rng.slice() };
    this.paths.push({ state: copy, gen, cond });
    return copy;
  }

  /** A new path from a saved state's tokens and step, with a fresh stream of its own (PRM branching). */
  branch(state: PathState, id: number, seed: number, cond = this.cond): PathState {
    const gen = new Generator(seed);
    const copy = { ...state, id, seed, tokens: state.tokens.slice(), rng: gen.getState() };
    this.paths.push({ state: copy, gen, cond });
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

  /** Steps a live path has done. */
  stepOf(id: number): number {
    return this.find(id).state.step;
  }

  private find(id: number) {
    const p = this.paths.find((q) => q.state.id === id);
    if (!p) throw new Error(`path ${id} is not live`);
    return p;
  }

  private active() {
    return this.paths.filter((p) => p.state.step < this.options.steps);
  }

  /** Advances every live path that has steps left by one step (through the batcher when there is one). */
  step(): Promise<StepResult[]> {
    const rows = this.rows();
    if (!rows) return Promise.resolve([]);
    if (this.batcher) return this.batcher.step(this, rows);
    return Promise.resolve(noGrad(() => tidy(() => this.finish(guidedLogits(this.model, rows, this.options.cfg)))));
  }

  /** The model input of this step, or null when no path has steps left. */
  rows(): StepRows | null {
    const active = this.active();
    if (active.length === 0) return null;
    const pick = (f: (c: Conditioning) => Int32Array | undefined) => (active.every((p) => f(p.cond)) ? concat(active.map((p) => f(p.cond)!)) : undefined);
    if (active.some((p) => !p.cond.reason !== !active[0].cond.reason || !p.cond.previous !== !active[0].cond.previous))
      throw new Error("the paths of a batch must all have, or all lack, self-correction inputs");
    return {
      B: active.length,
      image: concat(active.map((p) => p.state.tokens)),
      text: concat(active.map((p) => p.cond.text)),
      nullText: concat(active.map((p) => p.cond.nullText)),
      reason: pick((c) => c.reason),
      previous: pick((c) => c.previous),
    };
  }

  /**
   * Draws this step's tokens from the guided logits of the active paths (B, L, K), each path
   * from its own stream, and re-masks the least confident. Called inside a tidy scope.
   */
  finish(logits: Tensor): StepResult[] {
    const active = this.active();
    if (logits.size(0) !== active.length) throw new Error(`a step's logits are for ${logits.size(0)} paths, but ${active.length} are live (paths changed between asking for the step and its pass)`);
    const { cfg, temperature, confidenceTemperature, steps: T } = this.options;
    this.nfe += cfgHalves(cfg) * active.length;
    const L = this.model.config.imageTokens;
    const mask = this.model.maskId;
    const t = active[0].state.step;
    if (active.some((p) => p.state.step !== t)) throw new Error("all live paths of a batch must be at the same step");
    const image = tensor(concat(active.map((p) => p.state.tokens)), [active.length, L], "int64");
    const probs = logits.div(temperature).softmax(-1); // (B, L, K)
    // per path, from its own stream: one draw per position, then Gumbel noise for the confidences
    const draws = stack(active.map((p, b) => multinomial(probs.select(0, b), 1, true, p.gen).squeeze(1))); // (B, L)
    const confNoise = stack(active.map((p) => gumbel([L], p.gen))); // (B, L)
    const drawnLogp = probs.gather(2, draws.unsqueeze(2)).squeeze(2).log(); // (B, L)
    const known = image.ne(mask);
    const prediction = where(known, image, draws); // fixed tokens kept
    const annealed = confidenceTemperature * (1 - (t + 1) / T);
    let noisy = drawnLogp.add(confNoise.mul(annealed));
    // the flat-background token is the tokenizer's last id (tokenizer/vq.ts)
    if (this.options.flatPenalty) noisy = noisy.sub(draws.eq(this.model.config.codebookSize - 1).to("float32").mul(this.options.flatPenalty));
    const confidence = noisy.maskedFill(known, Infinity);
    const predArr = prediction.to("int32").data() as Int32Array;
    const confArr = confidence.data() as Float32Array;
    const logpArr = drawnLogp.maskedFill(known, Infinity).data() as Float32Array;
    return active.map((p, b) => {
      const s = p.state;
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
      return { path: s.id, step: t, tokens: next, prediction: pred, confidence: logpArr.slice(b * L, (b + 1) * L), masked: keepMasked };
    });
  }
}

/** Guided logits (B, L, K) of a step's rows: both CFG halves in one forward pass, [cond; uncond]. */
export function guidedLogits(model: MaskedGenerator, r: StepRows, g: number): Tensor {
  const L = model.config.imageTokens;
  const ids = (a: Int32Array | undefined, width: number) => (a ? tensor(a, [r.B, width], "int64") : undefined);
  const image = ids(r.image, L)!;
  const cond: GeneratorInput = { text: ids(r.text, model.config.maxText)!, image, reason: ids(r.reason, model.config.maxReason), previous: ids(r.previous, L) };
  if (g === 0) return model.forward(cond);
  const both: GeneratorInput = {
    text: cat([cond.text, ids(r.nullText, model.config.maxText)!]),
    image: cat([image, image]),
    reason: cond.reason ? cat([cond.reason, cond.reason]) : undefined,
    previous: cond.previous ? cat([cond.previous, cond.previous]) : undefined,
  };
  const out = model.forward(both); // (2B, L, K)
  return guide(out.slice(0, 0, r.B), out.slice(0, r.B), g);
}

/**
 * Sequences per shared forward pass at most: where batching stopped paying on the 2-core
 * machine (results/generate.json: 80 rows beat 160 and 240 in seconds per image).
 */
export const DEFAULT_MAX_ROWS = 80;

/**
 * Shares forward passes between PathBatches: every batch that asks for a step before the event
 * loop turns (the concurrent prompts and images of a suite) joins one forward pass of at most
 * `maxRows` sequences (each CFG half counts). A batch's paths stay in one pass.
 */
export class StepBatcher implements StepRunner {
  private queue: { batch: PathBatch; rows: StepRows; resolve: (r: StepResult[]) => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;
  /** forward passes run and sequences in them, to see how full the passes are */
  passes = 0;
  sequences = 0;

  constructor(readonly maxRows = DEFAULT_MAX_ROWS) {}

  step(batch: PathBatch, rows: StepRows): Promise<StepResult[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ batch, rows, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const items = this.queue.splice(0);
    // batches that can share a pass: same model, same guidance, same self-correction inputs
    const key = (i: (typeof items)[number]) => [i.batch.options.cfg, !!i.rows.reason, !!i.rows.previous].join("/");
    const groups = new Map<MaskedGenerator, Map<string, typeof items>>();
    for (const it of items) {
      const byKey = groups.get(it.batch.model) ?? new Map<string, typeof items>();
      groups.set(it.batch.model, byKey);
      byKey.set(key(it), [...(byKey.get(key(it)) ?? []), it]);
    }
    for (const [model, byKey] of groups)
      for (const group of byKey.values()) {
        const g = group[0].batch.options.cfg;
        const per = cfgHalves(g);
        let chunk: typeof items = [];
        const run = () => {
          if (chunk.length > 0) this.run(model, chunk, g);
          chunk = [];
        };
        for (const it of group) {
          const rows = chunk.reduce((n, c) => n + c.rows.B * per, 0);
          if (chunk.length > 0 && rows + it.rows.B * per > this.maxRows) run();
          chunk.push(it);
        }
        run();
      }
  }

  private run(model: MaskedGenerator, chunk: { batch: PathBatch; rows: StepRows; resolve: (r: StepResult[]) => void; reject: (e: unknown) => void }[], g: number): void {
    const cat2 = (f: (r: StepRows) => Int32Array | undefined) => (chunk[0].rows && f(chunk[0].rows) ? concat(chunk.map((c) => f(c.rows)!)) : undefined);
    const rows: StepRows = {
      B: chunk.reduce((n, c) => n + c.rows.B, 0),
      image: cat2((r) => r.image)!,
      text: cat2((r) => r.text)!,
      nullText: cat2((r) => r.nullText)!,
      reason: cat2((r) => r.reason),
      previous: cat2((r) => r.previous),
    };
    noGrad(() =>
      tidy(() => {
        let logits: Tensor;
        try {
          logits = guidedLogits(model, rows, g); // (B, L, K)
        } catch (e) {
          for (const c of chunk) c.reject(e); // nothing advanced
          return;
        }
        this.passes++;
        this.sequences += rows.B * cfgHalves(g);
        // each batch advances and settles on its own: one batch's failure is not another's
        let off = 0;
        for (const c of chunk) {
          try {
            c.resolve(c.batch.finish(logits.slice(0, off, off + c.rows.B)));
          } catch (e) {
            c.reject(e);
          }
          off += c.rows.B;
        }
      }),
    );
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
