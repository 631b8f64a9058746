// The compute worker: a child process that loads the models and runs the server's jobs through
// a LocalExecutor, so that generation and judging never block the server's thread (and a crash
// in native code takes down only the worker). It speaks to WorkerExecutor by IPC messages: its
// configuration and jobs in; events, results and errors out; cancellations in.
import { HttpStepGenerator } from "../generator/http-step-generator.js";
import { DEFAULT_SAMPLE } from "../generator/sampler.js";
import type { Judge } from "../judges/judge.js";
import { JUDGES, type JudgeSelection, makeJudge } from "../judges/registry.js";
import { loadPipeline } from "../models/load.js";
import { InputError } from "../util/errors.js";
import { type GenerateJob, type JudgeJob, LocalExecutor } from "./executor.js";
import { statusOf } from "./http-error.js";
import type { StepCall } from "./step-host.js";

/** What the worker loads: model files, decoding steps, and the judges' settings. */
export interface WorkerConfig {
  /** an outside step server to drive instead of the embedded models (checked at start) */
  generatorUrl?: string;
  generator?: string;
  tokenizer?: string;
  corrector?: string;
  steps: number;
  /** the default judge, loaded first */
  judge: string;
  judgeSettings: Omit<JudgeSelection, "judge">;
}

export type WorkerRequest =
  | { type: "check"; id: number; job: GenerateJob }
  | { type: "generate"; id: number; job: GenerateJob; stream: boolean }
  | { type: "judge"; id: number; job: JudgeJob }
  | { type: "steps"; id: number; call: StepCall }
  | { type: "cancel"; id: number };

/**
 * Every judge a name can select, loaded now, `preferred` first (the default for requests that
 * name none); one that cannot load is kept with the reason, for a clear error when asked for.
 */
export function loadJudges(preferred: string, sel: Omit<JudgeSelection, "judge">, env: NodeJS.ProcessEnv = process.env) {
  const judges: Record<string, Judge> = {};
  const unavailable: Record<string, string> = {};
  const names = Object.keys(JUDGES).sort((a, b) => Number(b === preferred) - Number(a === preferred));
  for (const name of names) {
    try {
      judges[name] = makeJudge({ ...sel, judge: name }, env);
    } catch (e) {
      unavailable[name] = (e as Error).message;
    }
  }
  return { judges, unavailable };
}

/** The parent's end of the IPC channel. */
interface Port {
  postMessage(m: unknown): void;
  on(event: "message", f: (m: WorkerRequest) => void): void;
}

/** The outside step server, once it has answered that it speaks the protocol; else the embedded models. */
async function generatorOf(config: WorkerConfig) {
  if (config.generatorUrl === undefined) return { pipeline: loadPipeline(config.generator, config.tokenizer, config.corrector) };
  const generator = new HttpStepGenerator(config.generatorUrl);
  await generator.info();
  return { generator };
}

async function start(port: Port, config: WorkerConfig): Promise<void> {
  let executor: LocalExecutor;
  try {
    const { judges, unavailable } = loadJudges(config.judge, config.judgeSettings);
    executor = new LocalExecutor({ ...(await generatorOf(config)), sample: { ...DEFAULT_SAMPLE, steps: config.steps }, judges, unavailableJudges: unavailable });
  } catch (e) {
    port.postMessage({ type: "failed", message: (e as Error).message });
    return;
  }
  port.postMessage({ type: "ready", info: executor.info() });
  const running = new Map<number, AbortController>();
  port.on("message", async (m: WorkerRequest) => {
    if (m.type === "cancel") return running.get(m.id)?.abort(new Error("the client disconnected"));
    const abort = new AbortController();
    running.set(m.id, abort);
    try {
      const value =
        m.type === "check"
          ? await executor.check(m.job)
          : m.type === "judge"
            ? await executor.judge(m.job, abort.signal)
            : m.type === "steps"
              ? await executor.steps(m.call)
              : await executor.generate(m.job, m.stream ? (event) => port.postMessage({ type: "event", id: m.id, event }) : undefined, abort.signal);
      port.postMessage({ type: "done", id: m.id, value });
    } catch (e) {
      port.postMessage({ type: "error", id: m.id, message: (e as Error).message, statusCode: e instanceof InputError ? 400 : statusOf(e) });
    } finally {
      running.delete(m.id);
    }
  });
}

// started by WorkerExecutor: the first message is the configuration, every later one a job
if (process.send) {
  const send = process.send.bind(process);
  const port: Port = { postMessage: (m) => void send(m), on: (_e, f) => void process.on("message", (m) => f(m as WorkerRequest)) };
  process.once("message", (config) => void start(port, config as WorkerConfig));
  process.once("disconnect", () => process.exit(0)); // the server is gone
}
