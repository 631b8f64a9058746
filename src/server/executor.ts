// Where the server's generations and judge calls run. The routes only validate, queue and
// stream; an Executor does the work: LocalExecutor in the calling thread (tests, and inside the
// compute worker), WorkerExecutor (./worker-executor.ts) in a worker thread, so the request
// thread stays free to answer health checks and 429s at once.
import { promptIds } from "../generator/prompt.js";
import type { Pipeline } from "../generator/pipeline.js";
import { type PathBatch, type SampleOptions, StepBatcher, type StepRows, type StepRunner } from "../generator/sampler.js";
import type { Judge, Question, Reflection } from "../judges/judge.js";
import type { RGBImage } from "../shapes/image.js";
import { pngBase64, type EventSink, type StrategyEvent } from "../strategies/events.js";
import { STRATEGIES } from "../strategies/index.js";

export interface GenerateJob {
  prompt: string;
  strategy: string;
  n: number;
  seed: number;
  judge: string | null; // a judge name, resolved by the route
}

export interface GenerateResult {
  prompt: string;
  strategy: string;
  n: number;
  seed: number;
  judge: string | null;
  steps: number;
  /** the chosen image, base64 PNG */
  image: string;
  nfe: number;
  judgeCalls: number;
  trace: Record<string, unknown>;
}

export interface JudgeJob {
  prompt: string;
  image: RGBImage;
  question: Question;
  reflect: boolean;
  judge: string;
  step?: number;
  steps?: number;
}

export type JudgeAnswer = { judge: string; pYes: number; reason?: string | null };

export interface JudgeInfo {
  name: string;
  available: boolean;
  reflects?: boolean;
  reason?: string;
}

export interface ExecutorInfo {
  maxText: number; // prompt words the generator reads
  steps: number;
  judges: JudgeInfo[]; // the default judge first
}

export interface Executor {
  info(): ExecutorInfo;
  /** What is wrong with a job before it queues (the strategy's own checks), or null. */
  check(job: GenerateJob): Promise<string | null>;
  generate(job: GenerateJob, onEvent: EventSink | undefined, signal: AbortSignal): Promise<GenerateResult>;
  judge(job: JudgeJob, signal: AbortSignal): Promise<JudgeAnswer>;
  /** False once it can run nothing more (its worker died): health says so, jobs get a 503. */
  alive(): boolean;
  close(): Promise<void>;
}

/** The models an executor runs: a pipeline, its sampling settings, and the judges by name. */
export interface Compute {
  pipeline: Pipeline;
  sample: SampleOptions;
  /** the first is the default */
  judges: Readonly<Record<string, Judge>>;
  /** judges that could not be loaded, with why */
  unavailableJudges?: Readonly<Record<string, string>>;
}

/** A step runner that stops a job at its next step once its signal aborts (the client left). */
function abortable(runner: StepRunner, signal: AbortSignal): StepRunner {
  return { maxRows: runner.maxRows, step: (batch: PathBatch, rows: StepRows) => (signal.throwIfAborted(), runner.step(batch, rows)) };
}

export class LocalExecutor implements Executor {
  private readonly batcher: StepRunner;

  constructor(private readonly c: Compute) {
    // concurrent jobs share forward passes
    this.batcher = c.pipeline.batcher ?? new StepBatcher();
  }

  info(): ExecutorInfo {
    return {
      maxText: this.c.pipeline.generator.config.maxText,
      steps: this.c.sample.steps,
      judges: [
        ...Object.entries(this.c.judges).map(([name, j]) => ({ name, available: true, reflects: j.reflect !== undefined })),
        ...Object.entries(this.c.unavailableJudges ?? {}).map(([name, reason]) => ({ name, available: false, reason })),
      ],
    };
  }

  private context(job: GenerateJob, signal?: AbortSignal, onEvent?: EventSink) {
    const pipeline = signal ? { ...this.c.pipeline, batcher: abortable(this.batcher, signal) } : this.c.pipeline;
    return { pipeline, sample: this.c.sample, n: job.n, judge: job.judge ? this.c.judges[job.judge] : undefined, onEvent };
  }

  async check(job: GenerateJob): Promise<string | null> {
    try {
      promptIds(job.prompt, this.c.pipeline.generator.config.maxText);
      // a run with no seeds decodes nothing, but makes the strategy's own checks (a judge, a reflecting one)
      await STRATEGIES[job.strategy].run(this.context(job), job.prompt, []);
      return null;
    } catch (e) {
      return (e as Error).message;
    }
  }

  async generate(job: GenerateJob, onEvent: EventSink | undefined, signal: AbortSignal): Promise<GenerateResult> {
    const sink: EventSink | undefined = onEvent && (async (e: StrategyEvent) => (signal.throwIfAborted(), onEvent(e)));
    const [r] = await STRATEGIES[job.strategy].run(this.context(job, signal, sink), job.prompt, [job.seed]);
    return { ...job, steps: this.c.sample.steps, image: pngBase64(r.image), nfe: r.nfe, judgeCalls: r.judgeCalls, trace: r.trace };
  }

  async judge(job: JudgeJob, signal: AbortSignal): Promise<JudgeAnswer> {
    signal.throwIfAborted();
    const judge = this.c.judges[job.judge];
    if (job.reflect) {
      const r: Reflection = await judge.reflect!(job.prompt, job.image);
      return { judge: job.judge, ...r };
    }
    const [v] = await judge.judge([{ question: job.question, prompt: job.prompt, image: job.image, step: job.step, steps: job.steps }]);
    return { judge: job.judge, pYes: v.pYes };
  }

  alive(): boolean {
    return true;
  }

  async close(): Promise<void> {}
}
