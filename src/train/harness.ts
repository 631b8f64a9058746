// The one training harness: every loop (tokenizer, generator, judge, DPO) gives it a model, an
// optimiser, its data and its loss, and it does the rest the same way: per-step reseeding, the
// learning-rate schedule, gradient clipping, averaged log lines with the time per step and the
// model's share of it, checkpoints that resume exactly (and refuse another run's), the loss
// curve, and stopping at a given step to go on later.
import { join } from "node:path";
import { mkdirSync } from "node:fs";
import { totalmem } from "node:os";
import { type CosineSchedule, type Module, type Optimizer, type Tensor, clipGradNorm, cosineWithWarmup, heapStats, liveTensors, manualSeed, tidy, trimHeap } from "../torch/index.js";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.js";
import { writeLossCurve } from "./loss-curve.js";
import { lockRun } from "../util/run-lock.js";
import { type LogEntry, TrainLog, readTrainLog } from "./log.js";

/** The generator's schedule (the tokenizer, judge and DPO loops keep the ones their shipped models were trained with): warmup over 300 steps (a tenth of a short run), cosine to a tenth of the peak. */
export function defaultSchedule(lr: number, steps: number): CosineSchedule {
  return { lr, minLr: lr / 10, warmupSteps: Math.min(300, Math.ceil(steps / 10)), totalSteps: steps };
}

export interface HarnessOptions<D> {
  runDir: string;
  model: Module;
  /** the harness's from here on: disposed when it returns or throws (its moments would otherwise wait for GC) */
  optimizer: Optimizer;
  steps: number;
  /** stop after this step, checkpointed, without finishing; rerun to go on */
  stopAt?: number;
  /** the global random stream is reseeded at every step from (seed, step): masks and dropout of a step are fixed by its number */
  seed: number;
  schedule: CosineSchedule;
  logEvery: number;
  checkpointEvery: number;
  /** the step's rows (timed apart from the model: the summary's model_share) */
  data: (step: number) => D;
  /** the loss of the step's rows (in a tidy scope) and the figures to average into the log */
  loss: (data: D, step: number) => { loss: Tensor; metrics?: Record<string, number> };
  /** more figures for a log line, computed when it is written (and whatever the loop does then) */
  onLogLine?: (step: number) => Record<string, number>;
  /** what else the checkpoint records; a checkpoint with other values is another run's and is refused */
  state?: Record<string, unknown>;
  curve: { metrics: string[]; title: string };
  onLog?: (entry: LogEntry) => void;
  /** checkpoint and stop (MemoryLimitError) when the resident set passes this, MiB (default: DEFAULT_MAX_RSS_SHARE of the machine's memory) */
  maxRssMib?: number;
}

/** A run stops, checkpointed, before its resident set takes more than this share of the machine. */
export const DEFAULT_MAX_RSS_SHARE = 0.75;

/** A run that stopped, checkpointed, because its memory passed the limit: rerun to go on. */
export class MemoryLimitError extends Error {
  constructor(
    readonly rssMib: number,
    readonly limitMib: number,
    readonly step: number,
    readonly checkpoint: string,
  ) {
    super(`resident memory ${rssMib} MiB passed the limit of ${limitMib} MiB at step ${step}; checkpoint saved in ${checkpoint}: rerun the same command to go on`);
  }
}

/** The memory this process may use: the machine's, or a container's limit where there is one. */
function machineMemory(): number {
  const limit = process.constrainedMemory?.() ?? 0; // 0 or undefined: no limit
  return limit > 0 ? Math.min(limit, totalmem()) : totalmem();
}

const rssMib = () => Math.round(process.memoryUsage.rss() / 2 ** 20);

/**
 * A log line's memory figures: the resident set, glibc's heap (in use, kept free, mapped), then
 * the resident set once the free pages are handed back. Growth in `heap_in_use_mib` is memory
 * held (tensors, caches); growth only in `heap_free_mib` is memory freed and not returned.
 */
function memoryFigures(): Record<string, number> {
  const before = rssMib();
  const h = heapStats();
  trimHeap();
  return { rss_mib: before, heap_in_use_mib: h.in_use_mib, heap_free_mib: h.free_mib, heap_mmap_mib: h.mmap_mib, rss_trimmed_mib: rssMib(), live_tensors: liveTensors() };
}

/** What a loop's options and the harness share, taken as they are. */
export type RunSettings = Pick<HarnessOptions<unknown>, "runDir" | "steps" | "stopAt" | "seed" | "checkpointEvery" | "onLog">;

export function runSettings(o: RunSettings): RunSettings {
  return { runDir: o.runDir, steps: o.steps, stopAt: o.stopAt, seed: o.seed, checkpointEvery: o.checkpointEvery, onLog: o.onLog };
}

export interface HarnessResult {
  start: number; // the step the run resumed from
  done: number; // the step it stopped after
  finished: boolean;
}

export function runTraining<D>(o: HarnessOptions<D>): HarnessResult {
  let unlock = () => {};
  try {
    mkdirSync(o.runDir, { recursive: true });
    unlock = lockRun(o.runDir);
    return trainSteps(o);
  } finally {
    unlock();
    o.optimizer.dispose();
    trimHeap(); // a phase boundary: what the loop freed goes back before the next phase (ranking, another round)
  }
}

function trainSteps<D>(o: HarnessOptions<D>): HarnessResult {
  const ckpt = join(o.runDir, "checkpoint.safetensors");
  const logPath = join(o.runDir, "log.jsonl");
  const saved = loadCheckpoint(ckpt, o.model, o.optimizer);
  // (a checkpoint written before a key was recorded is not refused for lacking it)
  for (const [k, v] of Object.entries(o.state ?? {}))
    if (saved && k in saved && JSON.stringify(saved[k]) !== JSON.stringify(v))
      throw new Error(`${ckpt} is of another run (${k} ${JSON.stringify(saved[k])}, this run ${JSON.stringify(v)}): use another run folder`);
  const start = saved?.step ?? 0;
  const log = new TrainLog(logPath, start);
  const end = Math.min(o.steps, o.stopAt ?? o.steps);
  const limitMib = o.maxRssMib ?? Math.round((DEFAULT_MAX_RSS_SHARE * machineMemory()) / 2 ** 20);
  /** The checkpoint after `done` steps, and the loss curve so far. */
  const checkpoint = (done: number) => {
    saveCheckpoint(ckpt, o.model, o.optimizer, { ...o.state, step: done });
    // a log-scale curve needs positive values (a DPO run whose pairs all weigh 0 has none)
    if (readTrainLog(logPath).some((e) => e[o.curve.metrics[0]] > 0)) writeLossCurve(logPath, o.curve.metrics, o.curve.title, join(o.runDir, "loss.png"));
  };
  const sums = new Map<string, number>();
  let n = 0;
  let dataMs = 0;
  let t0 = performance.now();
  for (let step = start; step < end; step++) {
    manualSeed(o.seed * 1_000_003 + step);
    const d0 = performance.now();
    const data = o.data(step);
    dataMs += performance.now() - d0;
    o.optimizer.lr = cosineWithWarmup(step, o.schedule);
    const metrics = tidy(() => {
      const { loss, metrics: more } = o.loss(data, step);
      o.optimizer.zeroGrad();
      loss.backward();
      clipGradNorm(o.model.parameters(), 1);
      o.optimizer.step();
      return { loss: loss.item(), ...more };
    });
    for (const [k, v] of Object.entries(metrics)) sums.set(k, (sums.get(k) ?? 0) + v);
    n++;
    if ((step + 1) % o.logEvery === 0 || step + 1 === o.steps) {
      const ms = performance.now() - t0;
      const entry: LogEntry = {
        step: step + 1,
        ...Object.fromEntries([...sums].map(([k, v]) => [k, v / n])),
        ...o.onLogLine?.(step),
        lr: o.optimizer.lr,
        sec_per_step: ms / 1000 / n,
        // the part of a step spent in the model (forward, backward, optimiser), not in making its data
        model_share: 1 - dataMs / ms,
        // memory, so that growth over a run shows in its log (and native tensors held by JS)
        ...memoryFigures(),
      };
      log.append(entry);
      o.onLog?.(entry);
      if (entry.rss_trimmed_mib > limitMib) {
        checkpoint(step + 1);
        throw new MemoryLimitError(entry.rss_trimmed_mib, limitMib, step + 1, ckpt);
      }
      sums.clear();
      n = 0;
      dataMs = 0;
      t0 = performance.now();
    }
    if ((step + 1) % o.checkpointEvery === 0 || step + 1 === end) checkpoint(step + 1);
  }
  return { start, done: Math.max(start, end), finished: end === o.steps };
}
