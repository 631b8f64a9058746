// A bounded job queue. Generation is CPU-bound on the one JavaScript thread, so jobs run a few
// (by default one) at a time; a full queue is refused at once (HTTP 429) rather than letting
// every client's wait grow without bound.

export class QueueFullError extends Error {
  readonly statusCode = 429;
  constructor({ running, waiting }: { running: number; waiting: number }) {
    super(`the server is busy (${running} job(s) running, ${waiting} waiting); try again shortly`);
  }
}

export class JobQueue {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    /** jobs allowed to wait for a slot */
    private readonly capacity: number,
  ) {}

  stats(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  /** No slot free and no room to wait: run() would refuse a job now. */
  full(): boolean {
    return this.running >= this.concurrency && this.waiting.length >= this.capacity;
  }

  /**
   * Runs the job when a slot frees. Refuses (QueueFullError) when full; a job whose signal
   * aborts while it waits never runs, and its place goes to the next one.
   */
  async run<T>(job: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.full()) throw new QueueFullError(this.stats());
    if (this.running < this.concurrency) this.running++;
    else await this.slot(signal); // the releasing job hands its slot over: running stays counted
    try {
      signal?.throwIfAborted();
      return await job();
    } finally {
      this.release();
    }
  }

  private slot(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const start = () => {
        signal?.removeEventListener("abort", leave);
        resolve();
      };
      const leave = () => {
        this.waiting.splice(this.waiting.indexOf(start), 1);
        reject(signal!.reason);
      };
      if (signal?.aborted) return reject(signal.reason);
      signal?.addEventListener("abort", leave, { once: true });
      this.waiting.push(start);
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}
