// A Judge over any OpenAI-compatible chat-completions server with image input (vLLM,
// llama.cpp server, Ollama): P("yes") is read from the first answer token's top log-probabilities.
import { encodePng, type RGBImage } from "../shapes/image.js";
import { PAPER_PROMPTS, REFLECT_PROMPT, says, type Judge, type JudgeRequest, type Reflection, type Verdict } from "./judge.js";
import { createLimiter, type Limiter } from "./limit.js";
import { parseRetryAfter, withRetry } from "../util/retry.js";

export interface OpenAIJudgeConfig {
  /** the API root, e.g. http://127.0.0.1:8000/v1; requests go to {baseUrl}/chat/completions */
  baseUrl: string;
  /** the model name the server serves, e.g. llava-hf/llava-onevision-qwen2-7b-ov-hf */
  model: string;
  /** sent as `Authorization: Bearer KEY` when given */
  apiKey?: string;
  /** per attempt, in ms (default 60000) */
  timeoutMs?: number;
  /** extra attempts after network errors, timeouts, 429 and 5xx; never after other 4xx (default 3) */
  retries?: number;
  /** backoff before the first retry in ms, doubled each retry, with jitter (default 500) */
  retryBaseDelayMs?: number;
  /** longest wait between attempts in ms, Retry-After included (default 30000) */
  retryMaxDelayMs?: number;
  /** requests in flight at once, over all calls on this judge (default 4) */
  concurrency?: number;
  /** alternatives read at the first answer token (default 20, OpenAI's maximum) */
  topLogprobs?: number;
}

/** What went wrong talking to the judge's server, with what the server said. */
export class JudgeError extends Error {
  override readonly name = "JudgeError";
  /** the HTTP status, when the server answered */
  readonly status?: number;
  /** whether another attempt may succeed (network errors, timeouts, 429, 5xx) */
  readonly retryable: boolean;
  /** the server's Retry-After, in ms */
  readonly retryAfterMs?: number;

  constructor(message: string, o: { status?: number; retryable?: boolean; retryAfterMs?: number } = {}) {
    super(message);
    this.status = o.status;
    this.retryable = o.retryable ?? false;
    this.retryAfterMs = o.retryAfterMs;
  }
}

const BODY_EXCERPT = 300;
const excerpt = (s: string): string => (s.length > BODY_EXCERPT ? `${s.slice(0, BODY_EXCERPT)}...` : s);

interface TokenLogprob {
  token: string;
  logprob: number;
}

interface ChatCompletion {
  choices?: {
    message?: { content?: string | null };
    logprobs?: { content?: (TokenLogprob & { top_logprobs?: TokenLogprob[] })[] | null } | null;
  }[];
}

/** "Yes", " yes", "YES.", "▁yes" (SentencePiece), "Ġyes" (byte BPE) -> "yes". */
function answerWord(token: string): string {
  return token.replace(/^[\u2581\u0120]+/, "").trim().toLowerCase().replace(/[.,!?;:'"]+$/, "");
}

/**
 * P("yes") from a completion's first token: the probabilities of all yes-variants over those of
 * all yes- and no-variants, among the top alternatives and the chosen token.
 */
export function pYesFromCompletion(body: unknown): number {
  const first = (body as ChatCompletion)?.choices?.[0]?.logprobs?.content?.[0];
  if (!first || !Array.isArray(first.top_logprobs)) {
    throw new JudgeError(`server returned no logprobs (does it support logprobs with image input?): ${excerpt(JSON.stringify(body))}`);
  }
  const seen = new Map<string, number>();
  for (const t of [first, ...first.top_logprobs]) if (typeof t.token === "string" && Number.isFinite(t.logprob)) seen.set(t.token, t.logprob);
  const answers = [...seen].map(([token, logprob]) => ({ word: answerWord(token), logprob })).filter((a) => a.word === "yes" || a.word === "no");
  if (answers.length === 0) {
    throw new JudgeError(`none of the top tokens is yes or no: ${excerpt(JSON.stringify([...seen.keys()]))}`);
  }
  const max = Math.max(...answers.map((a) => a.logprob)); // shift so that tiny probabilities do not underflow
  let yes = 0;
  let no = 0;
  for (const a of answers) {
    if (a.word === "yes") yes += Math.exp(a.logprob - max);
    else no += Math.exp(a.logprob - max);
  }
  return yes / (yes + no);
}

/** The reflection's text as a reason, or null when the judge found nothing wrong. */
function reasonFrom(text: string): string | null {
  const reason = text.trim();
  const word = reason.toLowerCase().replace(/^["']+/, "").replace(/[.!"']+$/, "");
  return reason === "" || word === "correct" ? null : reason;
}

export class OpenAIJudge implements Judge {
  readonly name = "openai";
  readonly id: string;
  private readonly url: string;
  private readonly limit: Limiter;
  private readonly config: Required<Omit<OpenAIJudgeConfig, "apiKey">> & Pick<OpenAIJudgeConfig, "apiKey">;

  constructor(config: OpenAIJudgeConfig) {
    this.config = {
      timeoutMs: 60_000,
      retries: 3,
      retryBaseDelayMs: 500,
      retryMaxDelayMs: 30_000,
      concurrency: 4,
      topLogprobs: 20,
      ...(Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined)) as OpenAIJudgeConfig), // undefined means default
    };
    const c = this.config;
    this.id = `openai ${c.baseUrl} ${c.model}`;
    if (!/^https?:\/\//.test(c.baseUrl) || !URL.canParse(c.baseUrl)) throw new JudgeError(`invalid judge base URL '${c.baseUrl}': expected http(s)://HOST[:PORT]/v1`);
    if (c.model === "") throw new JudgeError("the judge model name is empty");
    for (const [key, min] of [["timeoutMs", 1], ["retries", 0], ["retryBaseDelayMs", 0], ["retryMaxDelayMs", 0], ["concurrency", 1], ["topLogprobs", 1]] as const) {
      if (!Number.isInteger(c[key]) || c[key] < min) throw new JudgeError(`${key} must be an integer >= ${min}, got ${c[key]}`);
    }
    this.url = `${c.baseUrl.replace(/\/+$/, "")}/chat/completions`;
    this.limit = createLimiter(c.concurrency);
  }

  judge(requests: readonly JudgeRequest[]): Promise<Verdict[]> {
    return Promise.all(requests.map(async (r) => ({ pYes: await this.askYesNo(PAPER_PROMPTS[r.question](r.prompt), r.image) })));
  }

  async reflect(prompt: string, image: RGBImage): Promise<Reflection> {
    const pYes = await this.askYesNo(PAPER_PROMPTS.outcome(prompt), image);
    if (says(pYes)) return { pYes, reason: null };
    const body = (await this.complete(REFLECT_PROMPT(prompt), image, { max_tokens: 64 })) as ChatCompletion;
    const text = body?.choices?.[0]?.message?.content;
    if (typeof text !== "string") throw new JudgeError(`server returned no message text: ${excerpt(JSON.stringify(body))}`);
    return { pYes, reason: reasonFrom(text) };
  }

  private async askYesNo(text: string, image: RGBImage): Promise<number> {
    const body = await this.complete(text, image, { max_tokens: 1, logprobs: true, top_logprobs: this.config.topLogprobs });
    return pYesFromCompletion(body);
  }

  /** One chat completion over (text, image), within the concurrency limit, with retries. */
  private complete(text: string, image: RGBImage, params: Record<string, unknown>): Promise<unknown> {
    const c = this.config;
    const payload = JSON.stringify({
      model: c.model,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text },
            { type: "image_url", image_url: { url: `data:image/png;base64,${encodePng(image).toString("base64")}` } },
          ],
        },
      ],
      temperature: 0,
      ...params,
    });
    return this.limit(() =>
      withRetry(() => this.postOnce(payload), {
        retries: c.retries,
        baseDelayMs: c.retryBaseDelayMs,
        maxDelayMs: c.retryMaxDelayMs,
        retryable: (e) => e instanceof JudgeError && e.retryable,
        requestedDelayMs: (e) => (e instanceof JudgeError ? e.retryAfterMs : undefined),
      }),
    );
  }

  private async postOnce(payload: string): Promise<unknown> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (this.config.apiKey) headers.authorization = `Bearer ${this.config.apiKey}`;
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.url, { method: "POST", headers, body: payload, signal: AbortSignal.timeout(this.config.timeoutMs) });
      text = await res.text();
    } catch (e) {
      if (e instanceof Error && e.name === "TimeoutError") {
        throw new JudgeError(`POST ${this.url}: no answer within ${this.config.timeoutMs} ms`, { retryable: true });
      }
      const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : "";
      throw new JudgeError(`POST ${this.url} failed: ${e instanceof Error ? e.message : String(e)}${cause}`, { retryable: true });
    }
    if (!res.ok) {
      throw new JudgeError(`POST ${this.url}: HTTP ${res.status} ${res.statusText}: ${excerpt(text)}`, {
        status: res.status,
        retryable: res.status === 429 || res.status >= 500,
        retryAfterMs: parseRetryAfter(res.headers.get("retry-after")),
      });
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new JudgeError(`POST ${this.url}: the server's answer is not JSON: ${excerpt(text)}`);
    }
  }
}

/** Command-line flags for the judge; each falls back to the environment. */
export interface OpenAIJudgeFlags {
  baseUrl?: string;
  model?: string;
  apiKey?: string;
}

/**
 * Base URL, model and key from flags, else the environment: IMAGECOT_JUDGE_BASE_URL or
 * OPENAI_BASE_URL, IMAGECOT_JUDGE_MODEL, IMAGECOT_JUDGE_API_KEY or OPENAI_API_KEY (optional:
 * local servers need none). Throws a JudgeError naming whatever is missing.
 */
export function openAIJudgeConfigFromEnv(flags: OpenAIJudgeFlags, env: NodeJS.ProcessEnv = process.env): OpenAIJudgeConfig {
  const pick = (...values: (string | undefined)[]) => values.find((v) => v !== undefined && v.trim() !== "")?.trim();
  const baseUrl = pick(flags.baseUrl, env.IMAGECOT_JUDGE_BASE_URL, env.OPENAI_BASE_URL);
  const model = pick(flags.model, env.IMAGECOT_JUDGE_MODEL);
  const apiKey = pick(flags.apiKey, env.IMAGECOT_JUDGE_API_KEY, env.OPENAI_API_KEY);
  const missing: string[] = [];
  if (baseUrl === undefined) missing.push("the base URL (--base-url, or IMAGECOT_JUDGE_BASE_URL or OPENAI_BASE_URL, e.g. http://127.0.0.1:8000/v1)");
  if (model === undefined) missing.push("the model (--model, or IMAGECOT_JUDGE_MODEL)");
  if (baseUrl === undefined || model === undefined) throw new JudgeError(`the openai judge needs ${missing.join(" and ")}`);
  return apiKey === undefined ? { baseUrl, model } : { baseUrl, model, apiKey };
}
