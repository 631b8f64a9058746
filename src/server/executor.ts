// Where the server's generations, judge calls and step sessions run. The routes only validate,
// queue and stream; an Executor does the work: LocalExecutor in the calling thread (tests, and
// inside the compute worker), WorkerExecutor (./worker-executor.ts) in a child process, so the
// request thread stays free to answer health checks and 429s at once.
import { EmbeddedStepGenerator } from "../generator/embedded-steps.js";
import { promptIds } from "../generator/prompt.js";
import type { Pipeline } from "../generator/pipeline.js";
import { type SampleOptions, StepBatcher } from "../generator/sampler.js";
import { type StepGenerator, withSignal } from "../generator/step-generator.js";
import type { Judge, Question, Reflection } from "../judges/judge.js";
import type { RGBImage } from "../shapes/image.js";
import { pngBase64, type EventSink, type StrategyEvent } from "../strategies/events.js";
import { STRATEGIES } from "../strategies/index.js";
import { type StepCall, StepHost } from "./step-host.js";

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
  /** "embedded", or the URL of the outside step server the work goes to */
  generator: string;
  /** prompt words the generator reads (null: an outside generator reads prompts itself) */
  maxText: number | null;
  /** whether the generator's predictions and finals come with tokens */
  tokens: boolean;
  steps: number;
  judges: JudgeInfo[]; // the default judge first
}

export interface Executor {
  info(): ExecutorInfo;
  /** What is wrong with a job before it queues (the strategy's own checks), or null. */
  check(job: GenerateJob): Promise<string | null>;
  generate(job: GenerateJob, onEvent: EventSink | undefined, signal: AbortSignal): Promise<GenerateResult>;
  judge(job: JudgeJob, signal: AbortSignal): Promise<JudgeAnswer>;
  /** One call of the step protocol on the generator's sessions (./step-host.ts). */
  steps(call: StepCall): Promise<unknown>;
  /** False once it can run nothing more (its worker died): health says so, jobs get a 503. */
  alive(): boolean;
  close(): Promise<void>;
}

/**
 * The models an executor runs: the embedded pipeline or an outside step server (a StepGenerator
 * over HTTP), its sampling settings, and the judges by name.
 */
export type Compute = ({ pipeline: Pipeline } | { generator: StepGenerator }) & {
  sample: SampleOptions;
  /** the first is the default */
  judges: Readonly<Record<string, Judge>>;
  /** judges that could not be loaded, with why */
  unavailableJudges?: Readonly<Record<string, string>>;
};

export class LocalExecutor implements Executor {
  private readonly generator: StepGenerator;
  private readonly host: StepHost;

  constructor(private readonly c: Compute) {
    // concurrent jobs and step sessions share forward passes
    this.generator = "pipeline" in c ? new EmbeddedStepGenerator({ ...c.pipeline, batcher: c.pipeline.batcher ?? new StepBatcher() }) : c.generator;
    this.host = new StepHost(this.generator);
  }

  info(): ExecutorInfo {
    return {
      generator: this.generator.name,
      maxText: "pipeline" in this.c ? this.c.pipeline.generator.config.maxText : null,
      tokens: "pipeline" in this.c,
      steps: this.c.sample.steps,
      judges: [
        ...Object.entries(this.c.judges).map(([name, j]) => ({ name, available: true, reflects: j.reflect !== undefined })),
        ...Object.entries(this.c.unavailableJudges ?? {}).map(([name, reason]) => ({ name, available: false, reason })),
      ],
    };
  }

  /** A job's strategy context: its sessions stop at their next step once the signal aborts (the client left). */
  private context(job: GenerateJob, signal?: AbortSignal, onEvent?: EventSink) {
    const generator = signal ? withSignal(this.generator, signal) : this.generator;
    return { generator, sample: this.c.sample, n: job.n, judge: job.judge ? this.c.judges[job.judge] : undefined, onEvent };
  }

  async check(job: GenerateJob): Promise<string | null> {
    try {
      const maxText = this.info().maxText;
      if (maxText !== null) promptIds(job.prompt, maxText);
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

  steps(call: StepCall): Promise<unknown> {
    return this.host.run(call);
  }

  alive(): boolean {
    return true;
  }

  async close(): Promise<void> {
    await this.host.closeAll();
  }
}
