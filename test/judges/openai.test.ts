import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PAPER_PROMPTS, REFLECT_PROMPT } from "../../src/judges/judge.js";
import { createLimiter } from "../../src/judges/limit.js";
import { JudgeError, OpenAIJudge, openAIJudgeConfigFromEnv, type OpenAIJudgeConfig } from "../../src/judges/openai.js";
import { parseRetryAfter, withRetry } from "../../src/util/retry.js";
import { createImage, decodePng, type RGBImage } from "../../src/shapes/image.js";
import { logprobsCompletion, sendJson, startServer, textCompletion, type FakeServer, type Handler } from "./server.js";

const PROMPT = "a photo of two red circles";
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function testImage(seed = 0): RGBImage {
  const img = createImage(4, 3);
  for (let i = 0; i < img.data.length; i++) img.data[i] = (i * 37 + seed * 11) % 256;
  return img;
}

/** A yes/no answer with P(yes) = p exactly. */
const answer = (p: number) => logprobsCompletion([["Yes", Math.log(p)], ["No", Math.log(1 - p)]]);

interface ChatBody {
  model: string;
  messages: { role: string; content: { type: string; text?: string; image_url?: { url: string } }[] }[];
  max_tokens: number;
  temperature: number;
  logprobs?: boolean;
  top_logprobs?: number;
}

/** Runs `fn` against a fresh server speaking `handler`, and closes it after. */
async function withServer<T>(handler: Handler, fn: (server: FakeServer, config: OpenAIJudgeConfig) => Promise<T>): Promise<T> {
  const server = await startServer(handler);
  try {
    return await fn(server, { baseUrl: server.baseUrl, model: "test-lmm", retryBaseDelayMs: 1, retryMaxDelayMs: 20 });
  } finally {
    await server.close();
  }
}

describe("OpenAIJudge request", () => {
  let server: FakeServer;
  before(async () => {
    server = await startServer((_req, res) => sendJson(res, 200, answer(0.75)));
  });
  after(() => server.close());

  it("posts the paper's prompt, the image as a PNG data URL, one token and logprobs", async () => {
    const judge = new OpenAIJudge({ baseUrl: server.baseUrl + "/", model: "llava-ov-7b", apiKey: "sk-test", topLogprobs: 7 });
    const image = testImage(3);
    const verdicts = await judge.judge([{ question: "process", prompt: PROMPT, image, step: 2, steps: 8 }]);
    assert.equal(verdicts.length, 1);
    assert.ok(Math.abs(verdicts[0].pYes - 0.75) < 1e-12);

    const req = server.requests.at(-1)!;
    assert.equal(req.method, "POST");
    assert.equal(req.url, "/v1/chat/completions");
    assert.equal(req.headers.authorization, "Bearer sk-test");
    assert.equal(req.headers["content-type"], "application/json");
    const body = req.body as ChatBody;
    assert.equal(body.model, "llava-ov-7b");
    assert.equal(body.max_tokens, 1);
    assert.equal(body.temperature, 0);
    assert.equal(body.logprobs, true);
    assert.equal(body.top_logprobs, 7);
    assert.equal(body.messages.length, 1);
    assert.equal(body.messages[0].role, "user");
    const [text, img] = body.messages[0].content;
    assert.deepEqual(text, { type: "text", text: PAPER_PROMPTS.process(PROMPT) });
    assert.equal(
      text.text,
      `This is an intermediate image in the generation process by a prompt: ${PROMPT}. Does this intermediate image accurately represent the prompt? Please answer yes or no without explanation.`,
    );
    assert.equal(img.type, "image_url");
    const prefix = "data:image/png;base64,";
    assert.ok(img.image_url!.url.startsWith(prefix));
    const decoded = decodePng(Buffer.from(img.image_url!.url.slice(prefix.length), "base64"));
    assert.deepEqual(decoded, image);
  });

  it("sends no Authorization header without a key, and top_logprobs 20 by default", async () => {
    const judge = new OpenAIJudge({ baseUrl: server.baseUrl, model: "m" });
    await judge.judge([{ question: "outcome", prompt: PROMPT, image: testImage() }]);
    const req = server.requests.at(-1)!;
    assert.equal(req.headers.authorization, undefined);
    assert.equal((req.body as ChatBody).top_logprobs, 20);
    assert.equal((req.body as ChatBody).messages[0].content[0].text, PAPER_PROMPTS.outcome(PROMPT));
  });

  it("rejects a bad base URL or setting at construction", () => {
    assert.throws(() => new OpenAIJudge({ baseUrl: "localhost:8000", model: "m" }), /invalid judge base URL 'localhost:8000'/);
    assert.throws(() => new OpenAIJudge({ baseUrl: server.baseUrl, model: "m", concurrency: 0 }), /concurrency must be an integer >= 1/);
    assert.throws(() => new OpenAIJudge({ baseUrl: server.baseUrl, model: "m", retries: -1 }), /retries must be an integer >= 0/);
    assert.doesNotThrow(() => new OpenAIJudge({ baseUrl: server.baseUrl, model: "m", timeoutMs: undefined, retries: undefined }));
  });
});

describe("P(yes) from top logprobs", () => {
  const judgeOnce = (completion: unknown): Promise<number> =>
    withServer(
      (_req, res) => sendJson(res, 200, completion),
      async (_s, config) => {
        const [v] = await new OpenAIJudge(config).judge([{ question: "outcome", prompt: PROMPT, image: testImage() }]);
        return v.pYes;
      },
    );

  it("sums yes-variants and no-variants and ignores other tokens", async () => {
    const result = await judgeOnce(logprobsCompletion([["yes", -0.5], ["Yes", -2], ["no", -1.5], ["the", -3]]));
    const expected = (Math.exp(-0.5) + Math.exp(-2)) / (Math.exp(-0.5) + Math.exp(-2) + Math.exp(-1.5));
    assert.ok(Math.abs(result - expected) < 1e-12, `${result} vs ${expected}`);
  });

  it("recognises spaced, capitalised, punctuated and sub-word-marked variants", async () => {
    const tokens: [string, number][] = [[" No", -0.2], ["YES", -1], [" yes.", -2], ["▁yes", -2.5], ["No!", -3], ["Ġno", -4], ["maybe", -0.1]];
    const result = await judgeOnce(logprobsCompletion(tokens));
    const yes = Math.exp(-1) + Math.exp(-2) + Math.exp(-2.5);
    const no = Math.exp(-0.2) + Math.exp(-3) + Math.exp(-4);
    assert.ok(Math.abs(result - yes / (yes + no)) < 1e-12);
  });

  it("counts the chosen token when the top list leaves it out, once when it is in", async () => {
    const completion = {
      choices: [{ message: { content: "no" }, logprobs: { content: [{ token: "no", logprob: -0.1, top_logprobs: [{ token: "yes", logprob: -2.5 }] }] } }],
    };
    const result = await judgeOnce(completion);
    assert.ok(Math.abs(result - Math.exp(-2.5) / (Math.exp(-2.5) + Math.exp(-0.1))) < 1e-12);
  });

  it("stays finite when both answers are very unlikely", async () => {
    const result = await judgeOnce(logprobsCompletion([["The", -0.01], ["yes", -900], ["no", -901]]));
    assert.ok(Math.abs(result - 1 / (1 + Math.exp(-1))) < 1e-12);
  });

  it("fails clearly when the server returns no logprobs", async () => {
    await assert.rejects(judgeOnce(textCompletion("Yes")), (e: unknown) => {
      assert.ok(e instanceof JudgeError);
      assert.match(e.message, /server returned no logprobs/);
      assert.match(e.message, /"content":"Yes"/);
      return true;
    });
  });

  it("fails clearly when the server's answer is not JSON, or JSON without choices", async () => {
    await withServer(
      (_req, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end('{"choices": [');
      },
      async (_s, config) => {
        await assert.rejects(new OpenAIJudge({ ...config, retries: 0 }).judge([{ question: "outcome", prompt: PROMPT, image: testImage() }]), (e: unknown) => {
          assert.ok(e instanceof JudgeError);
          assert.match(e.message, /the server's answer is not JSON: \{"choices": \[/);
          return true;
        });
      },
    );
    await assert.rejects(judgeOnce({ object: "chat.completion" }), (e: unknown) => e instanceof JudgeError);
  });

  it("fails clearly when no top token is yes or no", async () => {
    await assert.rejects(judgeOnce(logprobsCompletion([["The", -0.1], ["A", -2]])), (e: unknown) => {
      assert.ok(e instanceof JudgeError);
      assert.equal(e.message, 'none of the top tokens is yes or no: ["The","A"]');
      return true;
    });
  });
});

describe("batches", () => {
  it("keep request order and the concurrency limit while the server answers out of order", async () => {
    const n = 9;
    const limit = 3;
    const answered: number[] = [];
    await withServer(
      async (req, res) => {
        const i = Number(/#(\d+)\./.exec((req.body as ChatBody).messages[0].content[0].text!)![1]);
        await delay((i % limit === 0 ? 30 : 5) + (n - i)); // early requests answer last
        answered.push(i);
        sendJson(res, 200, answer((i + 1) / (n + 2)));
      },
      async (server, config) => {
        const judge = new OpenAIJudge({ ...config, concurrency: limit });
        const requests = Array.from({ length: n }, (_, i) => ({ question: "outcome" as const, prompt: `scene #${i}`, image: testImage(i) }));
        const verdicts = await judge.judge(requests);
        assert.equal(verdicts.length, n);
        verdicts.forEach((v, i) => assert.ok(Math.abs(v.pYes - (i + 1) / (n + 2)) < 1e-12, `verdict ${i}: ${v.pYes}`));
        assert.equal(server.requests.length, n);
        assert.equal(server.maxInFlight, limit);
        assert.notDeepEqual(answered, [...answered].sort((a, b) => a - b), "the server should answer out of order");
      },
    );
  });

  it("resolve an empty batch to no verdicts without a request", async () => {
    await withServer(
      (_req, res) => sendJson(res, 500, {}),
      async (server, config) => {
        assert.deepEqual(await new OpenAIJudge(config).judge([]), []);
        assert.equal(server.requests.length, 0);
      },
    );
  });
});

describe("retries", () => {
  const ask = (config: OpenAIJudgeConfig) => new OpenAIJudge(config).judge([{ question: "outcome", prompt: PROMPT, image: testImage() }]);

  it("retry on 500 and 429, then succeed", async () => {
    await withServer(
      (_req, res, n) => {
        if (n === 0) sendJson(res, 500, { error: "overloaded" });
        else if (n === 1) sendJson(res, 429, { error: "slow down" }, { "retry-after": "0" });
        else sendJson(res, 200, answer(0.25));
      },
      async (server, config) => {
        const [v] = await ask(config);
        assert.ok(Math.abs(v.pYes - 0.25) < 1e-12);
        assert.equal(server.requests.length, 3);
        assert.deepEqual(server.requests[2].body, server.requests[0].body, "a retry sends the same request");
      },
    );
  });

  it("give up after the configured retries with the last status", async () => {
    await withServer(
      (_req, res) => sendJson(res, 503, { error: "down" }),
      async (server, config) => {
        await assert.rejects(ask({ ...config, retries: 2 }), (e: unknown) => e instanceof JudgeError && e.status === 503 && /HTTP 503/.test(e.message));
        assert.equal(server.requests.length, 3);
      },
    );
  });

  it("do not retry on 400, and the error carries status and body", async () => {
    await withServer(
      (_req, res) => sendJson(res, 400, { error: { message: "model 'test-lmm' does not support image input" } }),
      async (server, config) => {
        await assert.rejects(ask(config), (e: unknown) => {
          assert.ok(e instanceof JudgeError);
          assert.equal(e.status, 400);
          assert.match(e.message, /HTTP 400 Bad Request/);
          assert.match(e.message, /does not support image input/);
          return true;
        });
        assert.equal(server.requests.length, 1);
      },
    );
  });

  it("retry after a timeout", async () => {
    await withServer(
      (_req, res, n) => {
        if (n > 0) sendJson(res, 200, answer(0.5)); // the first request is never answered
      },
      async (server, config) => {
        const [v] = await ask({ ...config, timeoutMs: 80 });
        assert.equal(v.pYes, 0.5);
        assert.equal(server.requests.length, 2);
      },
    );
  });

  it("report a timeout clearly when every attempt times out", async () => {
    await withServer(
      () => undefined,
      async (server, config) => {
        await assert.rejects(ask({ ...config, timeoutMs: 40, retries: 1 }), /no answer within 40 ms/);
        // the second attempt may give up before the server has read it, on a loaded machine
        for (let i = 0; i < 100 && server.requests.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
        assert.equal(server.requests.length, 2);
      },
    );
  });

  it("retry on a refused connection, then report it", async () => {
    const server = await startServer(() => undefined);
    const baseUrl = server.baseUrl;
    await server.close(); // nothing listens on this port now
    await assert.rejects(ask({ baseUrl, model: "m", retries: 1, retryBaseDelayMs: 1 }), (e: unknown) => {
      assert.ok(e instanceof JudgeError);
      assert.match(e.message, /^POST http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions failed: fetch failed/);
      return true;
    });
  });

  it("backoff doubles with jitter, honours a longer Retry-After, and stops at the ceiling", async () => {
    const waits: number[] = [];
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        if (calls < 5) throw new JudgeError("busy", { retryable: true, retryAfterMs: calls === 3 ? 700 : undefined });
        return "done";
      },
      {
        retries: 4,
        baseDelayMs: 100,
        maxDelayMs: 1000,
        retryable: (e) => e instanceof JudgeError && e.retryable,
        requestedDelayMs: (e) => (e as JudgeError).retryAfterMs,
        sleep: async (ms) => void waits.push(ms),
        random: () => 0.5,
      },
    );
    assert.equal(result, "done");
    assert.deepEqual(waits, [75, 150, 700, 600]); // 100*2^k*(0.5+0.25); the third asked for 700 ms
    assert.equal(parseRetryAfter("3"), 3000);
    assert.equal(parseRetryAfter("Wed, 21 Oct 2015 07:28:10 GMT", Date.parse("Wed, 21 Oct 2015 07:28:00 GMT")), 10_000);
    assert.equal(parseRetryAfter(null), undefined);
    assert.equal(parseRetryAfter("soon"), undefined);
  });
});

describe("reflect", () => {
  it("asks the outcome question, then for the reason when the answer is no", async () => {
    const reason = "There are three circles, not two.";
    await withServer(
      (req, res) => sendJson(res, 200, (req.body as ChatBody).logprobs ? answer(0.2) : textCompletion(`  ${reason}\n`)),
      async (server, config) => {
        const image = testImage(1);
        const r = await new OpenAIJudge(config).reflect(PROMPT, image);
        assert.ok(Math.abs(r.pYes - 0.2) < 1e-12);
        assert.equal(r.reason, reason);
        assert.equal(server.requests.length, 2);
        const [first, second] = server.requests.map((q) => q.body as ChatBody);
        assert.equal(first.messages[0].content[0].text, PAPER_PROMPTS.outcome(PROMPT));
        assert.equal(second.messages[0].content[0].text, REFLECT_PROMPT(PROMPT));
        assert.equal(second.max_tokens, 64);
        assert.equal(second.temperature, 0);
        assert.equal(second.logprobs, undefined);
        assert.equal(second.top_logprobs, undefined);
        assert.equal(second.messages[0].content[1].image_url!.url, first.messages[0].content[1].image_url!.url);
      },
    );
  });

  it("asks nothing more when the answer is yes", async () => {
    await withServer(
      (_req, res) => sendJson(res, 200, answer(0.9)),
      async (server, config) => {
        const r = await new OpenAIJudge(config).reflect(PROMPT, testImage());
        assert.deepEqual(r, { pYes: r.pYes, reason: null });
        assert.equal(server.requests.length, 1);
      },
    );
  });

  it("gives a null reason when the judge answers 'correct'", async () => {
    await withServer(
      (req, res) => sendJson(res, 200, (req.body as ChatBody).logprobs ? answer(0.4) : textCompletion(' "Correct."')),
      async (_server, config) => {
        const r = await new OpenAIJudge(config).reflect(PROMPT, testImage());
        assert.equal(r.reason, null);
      },
    );
  });
});

describe("openAIJudgeConfigFromEnv", () => {
  it("prefers flags, then IMAGECOT_JUDGE_*, then OPENAI_*", () => {
    const env = { IMAGECOT_JUDGE_BASE_URL: "http://a/v1", OPENAI_BASE_URL: "http://b/v1", IMAGECOT_JUDGE_MODEL: "m-env", OPENAI_API_KEY: "sk-openai" };
    assert.deepEqual(openAIJudgeConfigFromEnv({}, env), { baseUrl: "http://a/v1", model: "m-env", apiKey: "sk-openai" });
    assert.deepEqual(openAIJudgeConfigFromEnv({ baseUrl: "http://c/v1", model: "m-flag", apiKey: "k" }, { ...env, IMAGECOT_JUDGE_API_KEY: "sk-judge" }), {
      baseUrl: "http://c/v1",
      model: "m-flag",
      apiKey: "k",
    });
    assert.deepEqual(openAIJudgeConfigFromEnv({}, { OPENAI_BASE_URL: "http://b/v1", IMAGECOT_JUDGE_MODEL: "m", IMAGECOT_JUDGE_API_KEY: "sk-judge", OPENAI_API_KEY: "x" }), {
      baseUrl: "http://b/v1",
      model: "m",
      apiKey: "sk-judge",
    });
    assert.deepEqual(openAIJudgeConfigFromEnv({ model: "m" }, { OPENAI_BASE_URL: "http://b/v1", OPENAI_API_KEY: "  " }), { baseUrl: "http://b/v1", model: "m" });
  });

  it("names what is missing", () => {
    assert.throws(() => openAIJudgeConfigFromEnv({ model: "m" }, {}), (e: unknown) => {
      assert.ok(e instanceof JudgeError);
      assert.match(e.message, /needs the base URL \(--base-url, or IMAGECOT_JUDGE_BASE_URL or OPENAI_BASE_URL/);
      assert.doesNotMatch(e.message, /model/);
      return true;
    });
    assert.throws(() => openAIJudgeConfigFromEnv({ baseUrl: "http://a/v1" }, { IMAGECOT_JUDGE_MODEL: "" }), /needs the model \(--model, or IMAGECOT_JUDGE_MODEL\)$/);
    assert.throws(() => openAIJudgeConfigFromEnv({}, {}), /needs the base URL .* and the model/);
  });
});

describe("createLimiter", () => {
  it("runs at most n tasks at once, in FIFO order, and frees the slot when a task throws", async () => {
    const limit = createLimiter(2);
    let active = 0;
    let most = 0;
    const started: number[] = [];
    const task = (i: number) => async () => {
      started.push(i);
      active++;
      most = Math.max(most, active);
      await delay(2);
      active--;
      if (i === 1) throw new Error("task 1 failed");
      return i;
    };
    const results = await Promise.allSettled([0, 1, 2, 3, 4].map((i) => limit(task(i))));
    assert.deepEqual(results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message)), [0, "task 1 failed", 2, 3, 4]);
    assert.deepEqual(started, [0, 1, 2, 3, 4]);
    assert.equal(most, 2);
    assert.throws(() => createLimiter(0), /concurrency must be an integer >= 1, got 0/);
  });
});
