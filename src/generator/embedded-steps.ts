// The embedded StepGenerator: sessions over PathBatch, stepped through the pipeline's batcher
// (so the sessions of concurrent prompts share forward passes), images decoded by the VQ
// tokenizer only when asked. Misuse (an id not live, paths out of step) is an InputError: the
// step server answers it with a 400.
import type { RGBImage } from "../shapes/image.js";
import type { VQAutoencoder } from "../tokenizer/vq.js";
import { InputError } from "../util/errors.js";
import { type Pipeline, conditioning, correctorFor, decodeTokens } from "./pipeline.js";
import { PathBatch, type PathState, type StepResult } from "./sampler.js";
import type { FinalImage, NewPath, OpenOptions, PathRef, PathStep, StepGenerator, StepSession } from "./step-generator.js";

/** The state behind each ref this generator handed out: refs stay opaque, and foreign ones are told apart. */
const STATES = new WeakMap<PathRef, PathState>();

function stateOf(ref: PathRef): PathState {
  const s = STATES.get(ref);
  if (!s) throw new InputError(`path ${ref.path}'s saved state was not made by the embedded generator`);
  return s;
}

export class EmbeddedStepGenerator implements StepGenerator {
  readonly name = "embedded";

  constructor(readonly pipeline: Pipeline) {}

  async open(prompt: string, o: OpenOptions): Promise<StepSession> {
    const p = this.pipeline;
    // regenerations run on a self-correction fine-tune when the pipeline has one
    const model = o.correction ? correctorFor(p, o.correction.reason) : p.generator;
    let previous: Int32Array | undefined;
    if (o.correction) {
      previous = stateOf(o.correction.previous).tokens;
      if (previous.includes(model.maskId)) throw new InputError(`the previous attempt (path ${o.correction.previous.path}) is not finished: self-correction starts from a final image`);
    }
    const cond = conditioning(model, prompt, o.correction && { reason: o.correction.reason, previous: previous! });
    return new EmbeddedSession(new PathBatch(model, cond, o.sample, p.batcher), p.tokenizer, o.signal);
  }
}

/** Any generator as a StepGenerator: a pipeline becomes the embedded one. */
export function stepGenerator(g: Pipeline | StepGenerator): StepGenerator {
  return "open" in g ? g : new EmbeddedStepGenerator(g);
}

/** The pipeline behind an embedded generator, for the loops that read its tokens (replay); others are refused. */
export function embeddedPipeline(g: StepGenerator, what: string): Pipeline {
  if (!(g instanceof EmbeddedStepGenerator)) throw new InputError(`${what} needs the embedded generator's tokens; it cannot run on ${g.name}`);
  return g.pipeline;
}

class EmbeddedSession implements StepSession {
  constructor(
    private readonly batch: PathBatch,
    private readonly tokenizer: VQAutoencoder,
    private readonly signal?: AbortSignal,
  ) {}

  get steps(): number {
    return this.batch.options.steps;
  }

  get nfe(): number {
    return this.batch.nfe;
  }

  live(): number[] {
    return this.batch.live();
  }

  done(): boolean {
    return this.batch.done();
  }

  async start(paths: readonly NewPath[]): Promise<void> {
    this.admit(paths.map((p) => p.id), 0);
    for (const p of paths) this.batch.start(p.id, p.seed);
  }

  async branch(from: PathRef, paths: readonly NewPath[]): Promise<void> {
    const state = stateOf(from);
    this.admit(paths.map((p) => p.id), state.step);
    for (const p of paths) this.batch.branch(state, p.id, p.seed);
  }

  async resume(from: PathRef, id: number): Promise<void> {
    const state = stateOf(from);
    this.admit([id], state.step);
    this.batch.resume(state, id);
  }

  async step(): Promise<StepResult[]> {
    this.signal?.throwIfAborted();
    return this.batch.step();
  }

  async truncate(ids: readonly number[]): Promise<void> {
    this.requireLive(ids);
    this.batch.truncate([...ids]);
  }

  async save(id: number): Promise<PathRef> {
    this.requireLive([id]);
    const state = this.batch.save(id);
    const ref: PathRef = Object.freeze({ path: id, step: state.step });
    STATES.set(ref, state);
    return ref;
  }

  async images(steps: readonly PathStep[]): Promise<RGBImage[]> {
    return decodeTokens(
      this.tokenizer,
      steps.map((s) => {
        if (!s.prediction) throw new InputError(`path ${s.path}'s step ${s.step} carries no prediction: it is not a step of this session`);
        return s.prediction;
      }),
    );
  }

  async finals(ids: readonly number[]): Promise<FinalImage[]> {
    this.requireLive(ids);
    for (const id of ids) {
      const left = this.steps - this.batch.stepOf(id);
      if (left > 0) throw new InputError(`path ${id} is not finished: ${left} of its ${this.steps} steps are left`);
    }
    const tokens = ids.map((id) => this.batch.tokens(id).slice());
    const images = decodeTokens(this.tokenizer, tokens);
    return ids.map((path, k) => ({ path, image: images[k], tokens: tokens[k] }));
  }

  async close(): Promise<void> {
    this.batch.truncate(this.batch.live());
  }

  /** New ids must be free, and new paths at the step of the unfinished ones (the batch moves in lockstep). */
  private admit(ids: readonly number[], step: number): void {
    const live = new Set(this.batch.live());
    const seen = new Set<number>();
    for (const id of ids) {
      if (live.has(id) || seen.has(id)) throw new InputError(`path ${id} is live already: give each new path a free id`);
      seen.add(id);
    }
    if (step > this.steps) throw new InputError(`a path at step ${step} is past this session's ${this.steps} steps`);
    const unfinished = this.batch.live().map((id) => this.batch.stepOf(id)).filter((s) => s < this.steps);
    if (step < this.steps && unfinished.length > 0 && unfinished[0] !== step)
      throw new InputError(`the unfinished paths are at step ${unfinished[0]}; a new path at step ${step} cannot join them (paths of a session move in lockstep)`);
  }

  private requireLive(ids: readonly number[]): void {
    const live = new Set(this.batch.live());
    const gone = ids.filter((id) => !live.has(id));
    if (gone.length > 0) throw new InputError(`path${gone.length > 1 ? "s" : ""} ${gone.join(", ")} ${gone.length > 1 ? "are" : "is"} not live`);
  }
}
