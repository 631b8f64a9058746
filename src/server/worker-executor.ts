// An Executor whose work runs in the compute worker (./compute-worker.ts): the request thread
// only posts jobs and relays their events, so health checks and 429s answer at once, and a job
// whose client leaves is cancelled in the worker at its next step.
import { Worker } from "node:worker_threads";
import type { EventSink, StrategyEvent } from "../strategies/events.js";
import type { WorkerConfig, WorkerRequest } from "./compute-worker.js";
import type { Executor, ExecutorInfo, GenerateJob, GenerateResult, JudgeAnswer, JudgeJob } from "./executor.js";

type Reply = { type: "event"; id: number; event: StrategyEvent } | { type: "done"; id: number; value: unknown } | { type: "error"; id: number; message: string; statusCode?: number };

/** A job for the worker, before it gets its id. */
type JobMessage = WorkerRequest extends infer R ? (R extends { type: "cancel" } ? never : Omit<R, "id">) : never;

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  onEvent?: EventSink;
  events: Promise<unknown>; // the job's events, relayed in order
}

export class WorkerExecutor implements Executor {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  private constructor(
    private readonly worker: Worker,
    private readonly described: ExecutorInfo,
  ) {
    worker.on("message", (m: Reply) => this.receive(m));
    worker.on("error", (e) => this.failAll(e));
    worker.on("exit", (code) => this.failAll(new Error(`the compute worker exited (code ${code})`)));
  }

  /** Starts the worker and waits until its models are loaded; a load failure rejects with its message. */
  static async start(config: WorkerConfig): Promise<WorkerExecutor> {
    const worker = new Worker(new URL("./compute-worker.js", import.meta.url), { workerData: config });
    const first = await new Promise<{ type: "ready"; info: ExecutorInfo } | { type: "failed"; message: string }>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
    if (first.type === "failed") {
      await worker.terminate();
      throw new Error(first.message);
    }
    return new WorkerExecutor(worker, first.info);
  }

  info(): ExecutorInfo {
    return this.described;
  }

  private receive(m: Reply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.type === "event") {
      const sink = p.onEvent;
      if (sink) p.events = p.events.then(() => sink(m.event)).catch(() => this.cancel(m.id)); // a failing sink: nobody listens any more
      return;
    }
    this.pending.delete(m.id);
    void p.events.then(() => (m.type === "done" ? p.resolve(m.value) : p.reject(Object.assign(new Error(m.message), m.statusCode ? { statusCode: m.statusCode } : {}))));
  }

  private failAll(e: unknown): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  private cancel(id: number): void {
    this.worker.postMessage({ type: "cancel", id } satisfies WorkerRequest);
  }

  private request<T>(message: JobMessage, signal?: AbortSignal, onEvent?: EventSink): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onEvent, events: Promise.resolve() });
      signal?.addEventListener("abort", () => this.cancel(id), { once: true });
      this.worker.postMessage({ ...message, id } as WorkerRequest);
    });
  }

  check(job: GenerateJob): Promise<string | null> {
    return this.request({ type: "check", job });
  }

  generate(job: GenerateJob, onEvent: EventSink | undefined, signal: AbortSignal): Promise<GenerateResult> {
    return this.request({ type: "generate", job, stream: onEvent !== undefined }, signal, onEvent);
  }

  judge(job: JudgeJob, signal: AbortSignal): Promise<JudgeAnswer> {
    return this.request({ type: "judge", job }, signal);
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
