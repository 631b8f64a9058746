// The HTTP API in-process (fastify's inject) and over a real socket for disconnects: results,
// streams, clear 400s, 429 when the queue is full, and no harm from a client that goes away.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../src/server/app.js";
import { createImage, decodePng, encodePng } from "../../src/shapes/image.js";
import { PROMPT, ScriptedJudge, TINY_SAMPLE, serverOptions } from "./fixtures.js";

const apps: FastifyInstance[] = [];
function app(judge = new ScriptedJudge(), o: Parameters<typeof serverOptions>[1] = {}): FastifyInstance {
  const a = buildApp(serverOptions(judge, o));
  apps.push(a);
  return a;
}
after(async () => {
  for (const a of apps) await a.close();
});

const generate = (a: FastifyInstance, body: object, headers: Record<string, string> = {}) =>
  a.inject({ method: "POST", url: "/v1/generate", payload: body, headers });

/** A gate to hold the judge (and so the job) in flight until released. */
function gate(judge: ScriptedJudge): () => void {
  let open!: () => void;
  judge.gate = new Promise((resolve) => (open = resolve));
  return () => {
    judge.gate = null;
    open();
  };
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}
const queue = async (a: FastifyInstance) => (await a.inject({ method: "GET", url: "/v1/health" })).json().queue as { running: number; waiting: number };

function sseEvents(payload: string): { type: string; [k: string]: unknown }[] {
  return payload
    .split("\n\n")
    .filter((b) => b.startsWith("data: "))
    .map((b) => JSON.parse(b.slice(6)));
}

describe("/v1/health", () => {
  it("lists strategies, judges (with why one is unavailable), limits and the queue", async () => {
    const r = await app().inject({ method: "GET", url: "/v1/health" });
    assert.equal(r.statusCode, 200);
    const h = r.json();
    assert.equal(h.status, "ok");
    assert.ok(h.strategies.some((s: { name: string }) => s.name === "parm++"));
    assert.deepEqual(
      h.judges.map((j: { name: string; available: boolean }) => [j.name, j.available]),
      [["scripted", true], ["plain", true], ["broken", false]],
    );
    assert.equal(h.steps, TINY_SAMPLE.steps);
    assert.deepEqual(h.queue, { running: 0, waiting: 0 });
  });
});

describe("POST /v1/generate", () => {
  it("returns the chosen image, its cost and its trace as JSON", async () => {
    const r = await generate(app(), { prompt: PROMPT, strategy: "parm", n: 4, seed: 3 });
    assert.equal(r.statusCode, 200, r.body);
    const body = r.json();
    assert.deepEqual([body.strategy, body.n, body.seed, body.judge, body.steps], ["parm", 4, 3, "scripted", TINY_SAMPLE.steps]);
    const img = decodePng(Buffer.from(body.image, "base64"));
    assert.deepEqual([img.width, img.height], [16, 16]);
    assert.ok(body.nfe > 0 && body.judgeCalls > 0);
    assert.equal((body.trace.paths as unknown[]).length, 4);
  });

  it("streams the tree as server-sent events when asked, ending with the result", async () => {
    const r = await generate(app(), { prompt: PROMPT, strategy: "parm++", n: 4 }, { accept: "text/event-stream" });
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers["content-type"]), /^text\/event-stream/);
    const events = sseEvents(r.payload);
    const types = events.map((e) => e.type);
    assert.deepEqual(types.slice(0, 3), ["start", "begin", "step"]);
    assert.equal(types.at(-1), "result");
    for (const t of ["verdicts", "cut", "chosen", "reflection"]) assert.ok(types.includes(t), t);
    assert.equal(types.filter((t) => t === "begin").length, 2, "the first round and one correction");
  });

  const bad = async (body: object, message: RegExp, a = app()) => {
    const r = await generate(a, body);
    assert.equal(r.statusCode, 400, r.body);
    assert.match(r.json().message, message);
  };

  it("answers invalid requests with a 400 that says what is wrong", async () => {
    await bad({ strategy: "parm" }, /body must have required property 'prompt'/);
    await bad({ prompt: "   " }, /body\.prompt must match pattern/);
    await bad({ prompt: "a ".repeat(150) }, /body\.prompt must NOT have more than 200 characters/);
    await bad({ prompt: PROMPT, n: 33 }, /body\.n must be <= 32/);
    await bad({ prompt: PROMPT, n: "4" }, /body\.n must be integer/);
    await bad({ prompt: PROMPT, strategy: "beam" }, /body\.strategy must be equal to one of the allowed values: none, best-of-n, step-best-of-n, parm, parm\+\+/);
    await bad({ prompt: PROMPT, steps: 3 }, /must NOT have additional properties \('steps'\)/);
    await bad({ prompt: PROMPT, judge: "nobody" }, /body\.judge must be equal to one of the allowed values: scripted, plain, broken/);
    await bad({ prompt: PROMPT, judge: "broken" }, /judge 'broken' is unavailable: no judge weights/);
    await bad({ prompt: "a photo of a unicorn" }, /unknown word 'unicorn'/);
    await bad({ prompt: PROMPT, strategy: "parm++", judge: "plain" }, /needs a reflecting judge; 'plain' is not one/);
    await bad({ prompt: PROMPT, strategy: "parm" }, /strategy .parm. needs a judge, and none is available on this server/, app(new ScriptedJudge(), { judges: {}, unavailableJudges: {} }));
    const r = await app().inject({ method: "POST", url: "/v1/generate", payload: "{not json", headers: { "content-type": "application/json" } });
    assert.equal(r.statusCode, 400);
  });

  it("refuses with 429 when a job runs and the queue is full, and serves the others", async () => {
    const judge = new ScriptedJudge();
    const a = app(judge, { limits: { concurrentJobs: 1, queuedJobs: 1 } });
    const release = gate(judge);
    const first = generate(a, { prompt: PROMPT, strategy: "best-of-n", n: 2 });
    await until("the first job to run", async () => (await queue(a)).running === 1);
    const second = generate(a, { prompt: PROMPT, strategy: "best-of-n", n: 2, seed: 1 }, { accept: "text/event-stream" });
    await until("the second job to wait", async () => (await queue(a)).waiting === 1);
    for (const accept of ["application/json", "text/event-stream"]) {
      const third = await generate(a, { prompt: PROMPT, strategy: "none" }, { accept });
      assert.equal(third.statusCode, 429);
      assert.equal(third.headers["retry-after"], "5");
      assert.match(third.json().message, /the server is busy \(1 job\(s\) running, 1 waiting\)/);
    }
    release();
    assert.equal((await first).statusCode, 200);
    const streamed = sseEvents((await second).payload);
    assert.deepEqual(streamed.slice(0, 2).map((e) => e.type), ["queued", "start"]);
    assert.equal(streamed.at(-1)!.type, "result");
    assert.deepEqual(await queue(a), { running: 0, waiting: 0 });
  });
});

describe("client disconnects", () => {
  async function listen(judge: ScriptedJudge): Promise<{ a: FastifyInstance; port: number }> {
    const a = app(judge, { limits: { concurrentJobs: 1, queuedJobs: 2 } });
    await a.listen({ port: 0, host: "127.0.0.1" });
    return { a, port: (a.server.address() as AddressInfo).port };
  }

  function post(port: number, body: object, accept: string) {
    const req = request({ port, host: "127.0.0.1", method: "POST", path: "/v1/generate", headers: { "content-type": "application/json", accept } });
    req.on("error", () => {}); // destroyed on purpose
    req.end(JSON.stringify(body));
    return req;
  }

  it("a stream whose client leaves stops its job at the next event, and the server goes on", async () => {
    const judge = new ScriptedJudge();
    const { a, port } = await listen(judge);
    const release = gate(judge);
    const req = post(port, { prompt: PROMPT, strategy: "parm", n: 4 }, "text/event-stream");
    const firstData = new Promise<void>((resolve) => req.on("response", (res) => res.once("data", () => resolve())));
    await firstData;
    await until("the job to reach the judge", async () => judge.calls > 0);
    req.destroy();
    // a waiting non-streaming client that leaves is dropped from the queue
    const waiting = post(port, { prompt: PROMPT, strategy: "none" }, "application/json");
    await until("the second job to wait", async () => (await queue(a)).waiting === 1);
    waiting.destroy();
    await until("the waiting job to leave the queue", async () => (await queue(a)).waiting === 0);
    release();
    await until("the running job to stop", async () => (await queue(a)).running === 0);
    assert.equal(judge.calls, 1, "no judge call after the client left");
    const r = await generate(a, { prompt: PROMPT, strategy: "parm", n: 2 });
    assert.equal(r.statusCode, 200, "the server still serves");
  });
});

describe("closing the server", () => {
  it("stops a running stream with a clear error event instead of waiting for it", async () => {
    const judge = new ScriptedJudge();
    const a = buildApp(serverOptions(judge));
    await a.listen({ port: 0, host: "127.0.0.1" });
    const release = gate(judge);
    const req = request({ port: (a.server.address() as AddressInfo).port, host: "127.0.0.1", method: "POST", path: "/v1/generate", headers: { "content-type": "application/json", accept: "text/event-stream" } });
    req.end(JSON.stringify({ prompt: PROMPT, strategy: "parm", n: 4 }));
    const body = new Promise<string>((resolve) =>
      req.on("response", (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => resolve(text));
      }),
    );
    await until("the job to reach the judge", async () => judge.calls > 0);
    const closed = a.close();
    release();
    await closed;
    const events = sseEvents(await body);
    assert.deepEqual(events.at(-1), { type: "error", message: "the server is shutting down" });
    assert.equal(judge.calls, 1);
  });
});

describe("POST /v1/judge", () => {
  const png = encodePng(createImage(16, 16)).toString("base64");
  const judgeReq = (a: FastifyInstance, body: object) => a.inject({ method: "POST", url: "/v1/judge", payload: body });

  it("answers a question with P(yes), and reflects with a reason", async () => {
    const a = app(new ScriptedJudge(1));
    const clarity = await judgeReq(a, { prompt: PROMPT, image: png, question: "clarity", step: 3, steps: 6 });
    assert.equal(clarity.statusCode, 200, clarity.body);
    assert.deepEqual(clarity.json(), { judge: "scripted", pYes: 0.9 });
    const reflected = await judgeReq(a, { prompt: PROMPT, image: png, reflect: true });
    assert.deepEqual(reflected.json(), { judge: "scripted", pYes: 0.1, reason: "expected two circles, found three" });
  });

  it("answers bad input with a clear 400", async () => {
    const a = app();
    const cases: [object, RegExp][] = [
      [{ prompt: PROMPT, image: "bm90IGEgcG5n" }, /body\.image is not a usable base64 PNG \(not a PNG/],
      [{ prompt: PROMPT, image: png, question: "beauty" }, /body\.question must be equal to one of the allowed values: outcome, process, clarity, potential/],
      [{ prompt: PROMPT, image: png, reflect: true, judge: "plain" }, /the plain judge cannot reflect/],
      [{ prompt: PROMPT, image: png, reflect: true, question: "clarity" }, /reflect asks the outcome question/],
      [{ image: png }, /required property 'prompt'/],
    ];
    for (const [body, message] of cases) {
      const r = await judgeReq(a, body);
      assert.equal(r.statusCode, 400, r.body);
      assert.match(r.json().message, message);
    }
  });
});

describe("the page and the dashboard data", () => {
  it("serves the page and its files, and nothing else from disk", async () => {
    const a = app();
    const page = await a.inject({ method: "GET", url: "/" });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<script type="module" src="\/web\/app.js">/);
    const js = await a.inject({ method: "GET", url: "/web/app.js" });
    assert.match(String(js.headers["content-type"]), /^text\/javascript/);
    for (const url of ["/web/..%2Fpackage.json", "/web/missing.js"]) assert.equal((await a.inject({ method: "GET", url })).statusCode, 404, url);
  });

  it("reads the results folder afresh: rows, the paper's, tables and SVG charts", async () => {
    const dir = mkdtempSync(join(tmpdir(), "imagecot-results-"));
    try {
      const a = app(new ScriptedJudge(), { resultsDir: dir });
      assert.deepEqual((await a.inject({ method: "GET", url: "/v1/results" })).json().rows, []);
      const by_tag = { single_object: 0.9, two_object: 0.4, counting: 0.3, colors: 0.8, position: 0.1, color_attr: 0.2 };
      writeFileSync(join(dir, "parm.json"), JSON.stringify({ overall: 0.45, by_tag, nfe_per_image: 500, judge_calls_per_image: 60, settings: { strategy: "parm", judge: "fine-tuned", n: 20 } }));
      const d = (await a.inject({ method: "GET", url: "/v1/results" })).json();
      assert.deepEqual(d.rows.map((r: { label: string }) => r.label), ["parm"]);
      assert.equal(d.paper.length, 12);
      assert.match(d.html.byTag, /^<svg/);
      assert.match(d.html.accuracyNfe, /<circle/);
      assert.match(d.html.results, /parm \(fine-tuned\), N=20/);
      assert.equal(d.html.dpoPairs, "", "no DPO runs: no pairs chart");
      assert.equal(d.html.frontier, "", "no frontier file: no frontier chart");
      // `bench frontier --out results/frontier.json`: its chart appears
      const curve = (...pts: [number, number][]) => pts.map(([nfe, overall], i) => ({ n: 2 ** i, nfe_per_image: nfe, overall }));
      writeFileSync(join(dir, "frontier.json"), JSON.stringify({ frontier: { judge: "fine-tuned", best_of_n: curve([36, 0.3], [72, 0.35]), parm: curve([36, 0.3], [50, 0.37]), oracle: curve([36, 0.3], [72, 0.5]) } }));
      const withFrontier = (await a.inject({ method: "GET", url: "/v1/results" })).json();
      assert.match(withFrontier.html.frontier, /^<svg[\s\S]*Compute frontier \(frontier, judge fine-tuned\)/);
      assert.deepEqual(withFrontier.rows.map((r: { label: string }) => r.label), ["parm"], "a frontier is not a strategy row");
      // a DPO run and the evaluations of its start and its result: the pairs chart appears
      const none = (overall: number, generator: string) => ({ overall, by_tag, nfe_per_image: 36, judge_calls_per_image: 0, settings: { strategy: "none", judge: null, n: 20, images_per_prompt: 4, generator } });
      writeFileSync(join(dir, "base.json"), JSON.stringify(none(0.3, "models/generator.safetensors")));
      writeFileSync(join(dir, "dpo.json"), JSON.stringify(none(0.35, "models/generator-dpo.safetensors")));
      const round = { round: 1, data: "runs/d", generator: "models/generator.safetensors", pairs: { pairs: 500 }, training: {}, weights: "runs/r/round-1/generator.safetensors" };
      writeFileSync(join(dir, "train-dpo.json"), JSON.stringify({ dpo: { method: "dpo", out: "models/generator-dpo.safetensors", rounds: [round] } }));
      const withDpo = (await a.inject({ method: "GET", url: "/v1/results" })).json();
      assert.match(withDpo.html.dpoPairs, /^<svg[\s\S]*DPO training pairs/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
