// An Executor whose work runs in the compute worker (./compute-worker.ts), a child process: the
// server's thread only posts jobs and relays their events, so health checks and 429s answer at
// once, and a job whose client leaves is cancelled in the worker at its next step.
import { type ChildProcess, fork } from "node:child_process";
import type { EventSink, StrategyEvent } from "../strategies/events.js";
import type { WorkerConfig, WorkerRequest } from "./compute-worker.js";
import type { Executor, ExecutorInfo, GenerateJob, GenerateResult, JudgeAnswer, JudgeJob } from "./executor.js";
import type { StepCall } from "./step-host.js";

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
  /** set once the worker is gone: every later job fails at once instead of waiting for ever */
  private dead: Error | null = null;

  private constructor(
    private readonly worker: ChildProcess,
    private readonly described: ExecutorInfo,
  ) {
    worker.on("message", (m: Reply) => this.receive(m));
    worker.on("error", (e) => this.failAll(e));
    worker.on("exit", (code, signal) => this.failAll(new Error(`the compute worker exited (${signal ?? `code ${code}`})`)));
  }

  /** Starts the worker and waits until its models are loaded; a load failure rejects with its message. */
  static async start(config: WorkerConfig): Promise<WorkerExecutor> {
    // "advanced" serialisation: images travel as typed arrays, not as JSON
    const worker = fork(new URL("./compute-worker.js", import.meta.url), [], { serialization: "advanced", stdio: ["ignore", "inherit", "inherit", "ipc"] });
    worker.send(config);
    const first = await new Promise<{ type: "ready"; info: ExecutorInfo } | { type: "failed"; message: string }>((resolve, reject) => {
      worker.once("message", resolve as (m: unknown) => void);
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`the compute worker exited while loading (code ${code})`)));
    });
    if (first.type === "failed") {
      worker.kill();
      throw new Error(first.message);
    }
    return new WorkerExecutor(worker, first.info);
  }

  info(): ExecutorInfo {
    return this.described;
  }

  /** Whether the worker still runs (health reports it). */
  alive(): boolean {
    return this.dead === null;
  }

  private receive(m: Reply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.type === "event") {
      const sink = p.onEvent;
      if (!sink) return;
      // a failing sink: nobody listens any more; later events are dropped and the job cancelled once
      p.events = p.events.then(() => sink(m.event)).catch(() => {
        p.onEvent = undefined;
        this.cancel(m.id);
      });
      return;
    }
    this.pending.delete(m.id);
    void p.events.then(() => (m.type === "done" ? p.resolve(m.value) : p.reject(Object.assign(new Error(m.message), m.statusCode ? { statusCode: m.statusCode } : {}))));
  }

  private failAll(e: unknown): void {
    this.dead ??= Object.assign(new Error(`the compute worker stopped (${(e as Error).message}); restart the server`), { statusCode: 503 });
    for (const p of this.pending.values()) p.reject(this.dead);
    this.pending.clear();
  }

  private cancel(id: number): void {
    if (!this.dead) this.worker.send({ type: "cancel", id } satisfies WorkerRequest);
  }

  private request<T>(message: JobMessage, signal?: AbortSignal, onEvent?: EventSink): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      if (this.dead) return reject(this.dead);
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => this.cancel(id);
      // the listener goes when the job settles, so finished requests' signals are not kept alive
      const settle = <A>(f: (a: A) => void) => (a: A) => (signal?.removeEventListener("abort", onAbort), f(a));
      this.pending.set(id, { resolve: settle(resolve as (v: unknown) => void), reject: settle(reject), onEvent, events: Promise.resolve() });
      signal?.addEventListener("abort", onAbort, { once: true });
      this.worker.send({ ...message, id } as WorkerRequest);
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

  steps(call: StepCall): Promise<unknown> {
    return this.request({ type: "steps", call });
  }

  async close(): Promise<void> {
    if (this.worker.exitCode !== null || this.worker.signalCode !== null) return;
    const exited = new Promise((resolve) => this.worker.once("exit", resolve));
    this.worker.kill();
    await exited;
  }
}
