// The step protocol's sessions as the request thread keeps them: unguessable ids, a cap on how
// many are open (429), one call at a time per session (409), and an idle timeout that closes
// what a client left behind. The sessions themselves live with the models (./step-host.ts).
import { randomUUID } from "node:crypto";
import type { Executor } from "./executor.js";
import { httpError } from "./http-error.js";
import type { StepCall } from "./step-host.js";

interface Entry {
  busy: boolean;
  timer?: NodeJS.Timeout;
}

type SessionCall = Exclude<StepCall, { op: "open" }>;

export class StepSessions {
  private readonly open = new Map<string, Entry>();

  constructor(
    private readonly executor: Executor,
    private readonly limits: { maxSessions: number; sessionIdleSeconds: number },
  ) {}

  get count(): number {
    return this.open.size;
  }

  full(): boolean {
    return this.open.size >= this.limits.maxSessions;
  }

  /** Opens a session under a new id; refused (429) when as many are open as allowed. */
  async create(call: Omit<Extract<StepCall, { op: "open" }>, "session">): Promise<unknown> {
    if (this.full()) throw httpError(429, `${this.open.size} step sessions are open, the most this server holds; close one (DELETE) or try again shortly`);
    const session = randomUUID();
    // held busy while it opens: counted against the cap, and not callable yet
    this.open.set(session, { busy: true });
    try {
      const answer = await this.executor.steps({ ...call, session });
      this.release(session);
      return answer;
    } catch (e) {
      this.open.delete(session);
      throw e;
    }
  }

  /** One call on an open session (404 when there is none, 409 while another call on it runs). */
  async call(c: SessionCall): Promise<unknown> {
    const entry = this.open.get(c.session);
    if (!entry) throw httpError(404, `no step session '${c.session}' (closed, or idle for more than ${this.limits.sessionIdleSeconds} s)`);
    if (entry.busy) throw httpError(409, `a call on step session '${c.session}' is still running: calls on one session go one at a time`);
    entry.busy = true;
    clearTimeout(entry.timer);
    if (c.op === "close") this.open.delete(c.session);
    try {
      return await this.executor.steps(c);
    } finally {
      if (c.op !== "close") this.release(c.session);
    }
  }

  /** Forgets every session (the server is closing: the executor closes what it holds). */
  dispose(): void {
    for (const e of this.open.values()) clearTimeout(e.timer);
    this.open.clear();
  }

  private release(session: string): void {
    const entry = this.open.get(session);
    if (!entry) return;
    entry.busy = false;
    entry.timer = setTimeout(() => void this.expire(session), this.limits.sessionIdleSeconds * 1000).unref();
  }

  private async expire(session: string): Promise<void> {
    if (this.open.get(session)?.busy !== false) return;
    this.open.delete(session);
    // nothing to tell anyone if it fails: the worker may be gone with it
    await this.executor.steps({ op: "close", session }).catch(() => undefined);
  }
}
