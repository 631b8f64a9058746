// Retries with exponential backoff and jitter; what is worth retrying is the caller's call.
import { setTimeout as sleep } from "node:timers/promises";

export interface RetryOptions {
  /** extra attempts after the first */
  retries: number;
  /** backoff before retry k (0-based): baseDelayMs * 2^k, jittered down to between 50% and 100% */
  baseDelayMs: number;
  /** ceiling on any one wait, a requested one included */
  maxDelayMs: number;
  /** whether this error is worth another attempt */
  retryable: (err: unknown) => boolean;
  /** a wait the failure itself asked for (a server's Retry-After), in ms; used when longer than the backoff */
  requestedDelayMs?: (err: unknown) => number | undefined;
  /** injectable for tests */
  sleep?: (ms: number) => Promise<unknown>;
  random?: () => number;
}

/** The wait before retry `retry` (0-based). */
export function retryDelayMs(retry: number, err: unknown, o: RetryOptions): number {
  const backoff = o.baseDelayMs * 2 ** retry * (0.5 + 0.5 * (o.random ?? Math.random)());
  return Math.min(o.maxDelayMs, Math.max(backoff, o.requestedDelayMs?.(err) ?? 0));
}

/** Calls `fn` until it succeeds, the error is not retryable, or the retries are spent (then throws the last error). */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, o: RetryOptions): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt >= o.retries || !o.retryable(e)) throw e;
      await (o.sleep ?? sleep)(retryDelayMs(attempt, e, o));
    }
  }
}

/** Retry-After as ms: delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
