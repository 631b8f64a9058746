// A training run's log: JSON lines, one per logged step. On resume, entries past the
// checkpoint's step are dropped so the log never holds steps that were redone.
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "../util/atomic.js";

export interface LogEntry {
  step: number;
  [metric: string]: number;
}

export class TrainLog {
  constructor(readonly path: string, resumeStep: number) {
    if (existsSync(path)) {
      const kept = readTrainLog(path).filter((e) => e.step <= resumeStep);
      writeFileAtomic(path, kept.map((e) => JSON.stringify(e) + "\n").join(""));
    }
  }
  append(entry: LogEntry): void {
    appendFileSync(this.path, JSON.stringify(entry) + "\n");
  }
}

/** The entries of a run's log; none when nothing was logged yet. */
export function readTrainLog(path: string): LogEntry[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as LogEntry);
}
