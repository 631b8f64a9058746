// One progress bar style for long jobs: on stderr, only when it is a terminal and not --json/--quiet.
import cliProgress from "cli-progress";

export interface Progress {
  update(done: number, extra?: string): void;
  stop(): void;
}

export function progressBar(total: number, label: string, enabled = true): Progress {
  if (!enabled || !process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {value}/{total} | {percentage}% | ETA {eta_formatted} {extra}`, stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { extra: "" });
  return {
    update: (done, extra = "") => bar.update(done, { extra }),
    stop: () => bar.stop(),
  };
}

/** A bar for jobs that learn their total as they go: started on the first report. */
export function progressCallback(label: string, enabled = true): { onProgress: (done: number, total: number, extra?: string) => void; stop: () => void } {
  let bar: Progress | null = null;
  return {
    onProgress: (done, total, extra) => {
      bar ??= progressBar(total, label, enabled);
      bar.update(done, extra);
    },
    stop: () => bar?.stop(),
  };
}

/**
 * Bars for work that comes in runs of known size (a round's ranking stages, rounds): a fresh bar
 * whenever the label or the total changes, stopped when its run is done.
 */
export function progressRuns(enabled = true): { onProgress: (label: string, done: number, total: number) => void; stop: () => void } {
  let bar: Progress | null = null;
  let key = "";
  return {
    onProgress: (label, done, total) => {
      if (bar === null || key !== `${label}/${total}`) {
        bar?.stop();
        bar = progressBar(total, label, enabled);
        key = `${label}/${total}`;
      }
      bar.update(done);
      if (done === total) bar.stop();
    },
    stop: () => bar?.stop(),
  };
}
