// A StepGenerator over the HTTP step protocol (./step-protocol.ts): every session operation is
// one request to a step server (`imagecot serve`, examples/python-step-server, a Show-o or
// Janus adapter). Predictions and finals come as PNGs, fetched only when asked for. Errors are
// one line: a 400 is the request's fault (InputError), the rest a StepProtocolError.
import { decodePng, type RGBImage } from "../shapes/image.js";
import { InputError } from "../util/errors.js";
import { parseRetryAfter, withRetry } from "../util/retry.js";
import type { FinalImage, NewPath, OpenOptions, PathRef, PathStep, StepGenerator, StepSession } from "./step-generator.js";
import {
  type CloseAnswer,
  type FinalsAnswer,
  type Include,
  type LiveAnswer,
  type OpenAnswer,
  type OpenBody,
  type PathsBody,
  type PredictionsAnswer,
  type SnapshotAnswer,
  type SnapshotName,
  STEPS_ROOT,
  type StepAnswer,
  type StepServerInfo,
  type WireImage,
} from "./step-protocol.js";

export interface HttpStepOptions {
  /** per request, in ms (default 60000) */
  timeoutMs?: number;
  /** also fetch the final images' tokens (the server must have tokens; default false) */
  tokens?: boolean;
  /** extra attempts while the server is full (429), each after its Retry-After (default 8) */
  retries?: number;
}

/** The step server failed or could not be reached; `status` is the HTTP status when it answered. */
export class StepProtocolError extends Error {
  override readonly name = "StepProtocolError";
  constructor(
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

const EXCERPT = 200;
const excerpt = (s: string) => (s.length > EXCERPT ? `${s.slice(0, EXCERPT)}...` : s);

/** The server-side snapshot behind each ref, with the server it lives on. */
const SNAPSHOTS = new WeakMap<PathRef, SnapshotName & { root: string }>();

export class HttpStepGenerator implements StepGenerator {
  readonly name: string;
  private readonly timeoutMs: number;
  private readonly retries: number;

  constructor(
    url: string,
    private readonly o: HttpStepOptions = {},
  ) {
    if (!/^https?:\/\//.test(url) || !URL.canParse(url)) throw new InputError(`invalid generator URL '${url}': expected http(s)://HOST[:PORT], the root of a step server`);
    this.name = url.replace(/\/+$/, "");
    this.timeoutMs = o.timeoutMs ?? 60_000;
    this.retries = o.retries ?? 8;
  }

  /** The server's protocol and limits: also a check that it is there and speaks the protocol. */
  async info(): Promise<StepServerInfo> {
    const info = await this.call<StepServerInfo>("GET", STEPS_ROOT);
    if (typeof info.protocol !== "string" || !info.protocol.startsWith("imagecot-steps/")) throw new StepProtocolError(`${this.name} does not speak the step protocol (GET ${STEPS_ROOT} answered no protocol name)`);
    return info;
  }

  async open(prompt: string, o: OpenOptions): Promise<StepSession> {
    const { steps, cfg, temperature, confidenceTemperature, flatPenalty } = o.sample;
    const body: OpenBody = { prompt, steps, cfg, temperature, confidenceTemperature, flatPenalty };
    if (o.correction) body.correction = { reason: o.correction.reason, previous: this.snapshot(o.correction.previous) };
    const a = await this.call<OpenAnswer>("POST", `${STEPS_ROOT}/sessions`, body, o.signal);
    if (typeof a.session !== "string" || a.steps !== steps) throw new StepProtocolError(`${this.name} opened no session of ${steps} steps (answered ${excerpt(JSON.stringify(a))})`);
    return new HttpSession(this, a.session, steps, this.o.tokens ? ["png", "tokens"] : ["png"], o.signal);
  }

  /** The snapshot a ref names on this server. */
  snapshot(ref: PathRef): SnapshotName {
    const s = SNAPSHOTS.get(ref);
    if (!s || s.root !== this.name) throw new InputError(`path ${ref.path}'s saved state is not a snapshot on ${this.name}`);
    return { session: s.session, snapshot: s.snapshot };
  }

  /** A ref to a snapshot the server made. */
  ref(name: SnapshotName, a: SnapshotAnswer): PathRef {
    const ref: PathRef = Object.freeze({ path: a.path, step: a.step });
    SNAPSHOTS.set(ref, { ...name, root: this.name });
    return ref;
  }

  /** One request and its JSON answer; a full server (429) is waited for, never anything else (steps are not idempotent). */
  call<T>(method: "GET" | "POST" | "DELETE", path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    return withRetry(() => this.once<T>(method, path, body, signal), {
      retries: this.retries,
      baseDelayMs: 250,
      maxDelayMs: 5_000,
      retryable: (e) => e instanceof StepProtocolError && e.status === 429,
      requestedDelayMs: (e) => (e as StepProtocolError).retryAfterMs,
    });
  }

  private async once<T>(method: string, path: string, body: unknown, signal: AbortSignal | undefined): Promise<T> {
    const what = `${method} ${this.name}${path}`;
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.name + path, {
        method,
        headers: body === undefined ? {} : { "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      text = await res.text();
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) throw new StepProtocolError(`${what}: no answer within ${this.timeoutMs / 1000} s`);
      const cause = (e as Error).cause as { code?: string; message?: string } | undefined;
      throw new StepProtocolError(`cannot reach the step generator at ${this.name} (${cause?.code ?? cause?.message ?? (e as Error).message})`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      const message = (parsed as { message?: unknown } | undefined)?.message;
      const said = typeof message === "string" ? message : excerpt(text);
      if (res.status === 400) throw new InputError(`the step generator at ${this.name} refused ${method} ${path}: ${said}`);
      throw new StepProtocolError(`${what}: HTTP ${res.status}: ${said}`, res.status, parseRetryAfter(res.headers.get("retry-after")));
    }
    if (parsed === undefined || parsed === null || typeof parsed !== "object") throw new StepProtocolError(`${what}: the answer is not a JSON object: ${excerpt(text)}`);
    return parsed as T;
  }
}

function image(w: WireImage, what: string): RGBImage {
  if (typeof w.png !== "string") throw new StepProtocolError(`${what} came without its PNG`);
  return decodePng(Buffer.from(w.png, "base64"));
}

class HttpSession implements StepSession {
  /** live path -> steps done, as the server last said */
  private paths = new Map<number, number>();
  private spent = 0;

  constructor(
    private readonly client: HttpStepGenerator,
    private readonly id: string,
    readonly steps: number,
    private readonly finalsInclude: Include[],
    private readonly signal?: AbortSignal,
  ) {}

  get nfe(): number {
    return this.spent;
  }

  live(): number[] {
    return [...this.paths.keys()];
  }

  done(): boolean {
    return [...this.paths.values()].every((s) => s >= this.steps);
  }

  start(paths: readonly NewPath[]): Promise<void> {
    return this.add({ paths: paths.map(({ id, seed }) => ({ id, seed })) }, 0);
  }

  branch(from: PathRef, paths: readonly NewPath[]): Promise<void> {
    return this.add({ paths: paths.map(({ id, seed }) => ({ id, seed })), from: this.own(from) }, from.step);
  }

  resume(from: PathRef, id: number): Promise<void> {
    return this.add({ paths: [{ id }], from: this.own(from) }, from.step);
  }

  async step(): Promise<PathStep[]> {
    const a = await this.post<StepAnswer>("step", {});
    if (!Array.isArray(a.results) || typeof a.nfe !== "number") throw new StepProtocolError(`${this.client.name}: a step answered without results or nfe`);
    this.spent = a.nfe;
    for (const r of a.results) this.paths.set(r.path, r.step + 1);
    return a.results.map(({ path, step, masked }) => ({ path, step, masked }));
  }

  async truncate(ids: readonly number[]): Promise<void> {
    this.track(await this.post<LiveAnswer>("truncate", { ids }));
  }

  async save(id: number): Promise<PathRef> {
    const a = await this.post<SnapshotAnswer>("snapshots", { id });
    return this.client.ref({ session: this.id, snapshot: a.snapshot }, a);
  }

  async images(steps: readonly PathStep[]): Promise<RGBImage[]> {
    if (steps.length === 0) return [];
    const a = await this.post<PredictionsAnswer>("predictions", { ids: steps.map((s) => s.path), include: ["png"] });
    return steps.map((s, k) => {
      const p = a.predictions?.[k];
      if (!p || p.path !== s.path || p.step !== s.step) throw new StepProtocolError(`${this.client.name} sent no prediction of path ${s.path} at step ${s.step}`);
      return image(p, `path ${s.path}'s prediction`);
    });
  }

  async finals(ids: readonly number[]): Promise<FinalImage[]> {
    if (ids.length === 0) return [];
    const a = await this.post<FinalsAnswer>("finals", { ids, include: this.finalsInclude });
    return ids.map((id, k) => {
      const f = a.finals?.[k];
      if (!f || f.path !== id) throw new StepProtocolError(`${this.client.name} sent no final image of path ${id}`);
      return { path: id, image: image(f, `path ${id}'s final image`), ...(f.tokens ? { tokens: Int32Array.from(f.tokens) } : {}) };
    });
  }

  async close(): Promise<void> {
    // not bound to the session's signal: a session whose job was stopped is still closed
    await this.client.call<CloseAnswer>("DELETE", this.route(""));
  }

  /** New paths start at `step`: 0, or the saved state's. */
  private async add(body: PathsBody, step: number): Promise<void> {
    const a = await this.post<LiveAnswer>("paths", body);
    for (const p of body.paths) this.paths.set(p.id, step);
    this.track(a);
  }

  /** The server says which paths live; the steps they have done are counted here. */
  private track(a: LiveAnswer): void {
    if (!Array.isArray(a.live)) throw new StepProtocolError(`${this.client.name} did not say which paths are live`);
    this.paths = new Map(a.live.map((id) => [id, this.paths.get(id) ?? 0]));
  }

  /** A ref's snapshot, which must be of this session. */
  private own(ref: PathRef): string {
    const s = this.client.snapshot(ref);
    if (s.session !== this.id) throw new InputError(`path ${ref.path}'s saved state belongs to another session`);
    return s.snapshot;
  }

  private route(op: string): string {
    return `${STEPS_ROOT}/sessions/${encodeURIComponent(this.id)}${op && `/${op}`}`;
  }

  private post<T>(op: string, body: object): Promise<T> {
    this.signal?.throwIfAborted();
    return this.client.call<T>("POST", this.route(op), body, this.signal);
  }
}
