// The HTTP step protocol against the embedded step server: strategies over HTTP choose the same
// images with the same NFE and judge calls as in-process; bad requests get 400s with reasons,
// unknown sessions 404, a full server 429, concurrent calls on a session 409; idle sessions
// close; the OpenAPI spec lists the routes; the compute worker serves the routes too, and a
// server can drive an outside step server (serve --generator-url).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { EmbeddedStepGenerator } from "../../src/generator/embedded-steps.js";
import { HttpStepGenerator } from "../../src/generator/http-step-generator.js";
import type { StepGenerator } from "../../src/generator/step-generator.js";
import type { JudgeRequest, Verdict } from "../../src/judges/judge.js";
import { buildApp } from "../../src/server/app.js";
import type { ServerOptions } from "../../src/server/context.js";
import { WorkerExecutor } from "../../src/server/worker-executor.js";
import { encodePng } from "../../src/shapes/image.js";
import { strategyByName, type StrategyResult } from "../../src/strategies/index.js";
import { liveTensors } from "../../src/torch/index.js";
import { InputError } from "../../src/util/errors.js";
import { saveTiny } from "../align/tiny.js";
import { PROMPT, ScriptedJudge, TINY_SAMPLE, serverOptions, tinyPipeline } from "./fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "imagecot-steps-"));
const apps: FastifyInstance[] = [];
after(async () => {
  for (const a of apps) await a.close();
  rmSync(dir, { recursive: true, force: true });
});

function app(o: Partial<ServerOptions> = {}): FastifyInstance {
  const a = buildApp(serverOptions(new ScriptedJudge(), o));
  apps.push(a);
  return a;
}

async function listening(a: FastifyInstance): Promise<string> {
  await a.listen({ port: 0, host: "127.0.0.1" });
  return `http://127.0.0.1:${(a.server.address() as AddressInfo).port}`;
}

/** The scripted judge, recording every question with the PNG of the image it was asked about. */
class RecordingJudge extends ScriptedJudge {
  asked: string[] = [];
  override async judge(requests: readonly JudgeRequest[]): Promise<Verdict[]> {
    for (const r of requests) this.asked.push(`${r.question}@${r.step ?? "final"}:${encodePng(r.image).toString("base64")}`);
    return super.judge(requests);
  }
}

const SEEDS = [3, 4];

async function run(name: string, generator: StepGenerator): Promise<{ results: StrategyResult[]; judge: RecordingJudge }> {
  const judge = new RecordingJudge();
  const results = await strategyByName(name).run({ generator, judge, n: 4, sample: TINY_SAMPLE }, PROMPT, SEEDS);
  return { results, judge };
}

/** Same images (PNG bytes), NFE, judge calls, traces and questions, seed by seed. */
function assertSame(name: string, remote: Awaited<ReturnType<typeof run>>, local: Awaited<ReturnType<typeof run>>): void {
  remote.results.forEach((r, i) => {
    const l = local.results[i];
    assert.ok(encodePng(r.image).equals(encodePng(l.image)), `${name} seed ${SEEDS[i]}: same image`);
    assert.equal(r.nfe, l.nfe, `${name}: same NFE`);
    assert.equal(r.judgeCalls, l.judgeCalls, `${name}: same judge calls`);
    assert.deepEqual(r.trace, l.trace, `${name}: same trace`);
    assert.deepEqual(r.selection?.rejected.map((p) => [p.path, p.cutAfter, p.pYes]), l.selection?.rejected.map((p) => [p.path, p.cutAfter, p.pYes]), `${name}: same rejected paths`);
  });
  assert.deepEqual(remote.judge.asked, local.judge.asked, `${name}: the same questions about the same images`);
}

describe("strategies over HTTP against the embedded step server", () => {
  const local = new EmbeddedStepGenerator(tinyPipeline());
  const served = app();
  // listening starts in a hook, not as the tests are collected: a run that filters them all out
  // never reaches the file's after(), and an open server would keep it alive
  let url: string;
  before(async () => {
    url = await listening(served);
  });

  for (const name of ["parm", "step-best-of-n", "best-of-n", "none", "parm++"]) {
    it(`${name} chooses the same images with the same NFE and judge calls as in-process`, async () => {
      const remote = await run(name, new HttpStepGenerator(url));
      const here = await run(name, local);
      assertSame(name, remote, here);
      if (name === "parm") {
        const paths = remote.results.flatMap((r) => r.trace.paths as { cutAfter: number | null }[]);
        assert.ok(paths.some((p) => p.cutAfter !== null), "the scripted judge cuts some paths, so truncation went over the wire");
      }
      if (name === "parm++") assert.ok((remote.results[0].trace.rounds as unknown[]).length > 1, "a correction round, from a snapshot of the previous session");
      assert.equal(remote.results[0].tokens, undefined, "PNGs only, unless tokens are asked for");
    });
  }

  it("a sample's flat-background penalty goes over the wire: the in-process images with it, not those without", async () => {
    const decode = async (g: StepGenerator, flatPenalty: number) =>
      (await strategyByName("none").run({ generator: g, n: 4, sample: { ...TINY_SAMPLE, temperature: 3, flatPenalty } }, PROMPT, SEEDS)).map((r) => Array.from(encodePng(r.image)));
    const remote = await decode(new HttpStepGenerator(url), 100);
    assert.deepEqual(remote, await decode(local, 100));
    assert.notDeepEqual(remote, await decode(local, 0), "the penalty changes these images, so the equality above is its doing");
  });

  it("with tokens asked for, the finals' tokens are the in-process ones", async () => {
    const remote = await run("parm", new HttpStepGenerator(url, { tokens: true }));
    const here = await run("parm", local);
    remote.results.forEach((r, i) => assert.deepEqual(Array.from(r.tokens!), Array.from(here.results[i].tokens!)));
  });

  it("every session is closed once the strategy is done, and no tensor outlives it", async () => {
    const tensorsBefore = liveTensors();
    await run("parm++", new HttpStepGenerator(url));
    await run("step-best-of-n", local);
    assert.equal(liveTensors(), tensorsBefore, "steps, decoding and the server's sessions free what they make");
    const health = (await served.inject({ method: "GET", url: "/v1/health" })).json();
    assert.equal(health.stepSessions, 0);
    assert.equal(health.generator, "embedded");
  });
});

describe("the step routes refuse what they cannot do", () => {
  const a = app({ limits: { maxSessions: 2, maxN: 4 } });
  const post = (url: string, payload?: object) => a.inject({ method: "POST", url, payload });
  const open = async (body: object = { prompt: PROMPT, steps: 3 }) => {
    const r = await post("/v1/steps/sessions", body);
    assert.equal(r.statusCode, 201, r.body);
    return r.json().session as string;
  };
  const at = (s: string, op: string) => `/v1/steps/sessions/${s}/${op}`;
  const refused = async (url: string, payload: object, status: number, reason: RegExp) => {
    const r = await post(url, payload);
    assert.equal(r.statusCode, status, r.body);
    assert.match(r.json().message, reason);
  };

  it("bad bodies get a 400 that says what is wrong", async () => {
    await refused("/v1/steps/sessions", { steps: 3 }, 400, /body must have required property 'prompt'/);
    await refused("/v1/steps/sessions", { prompt: PROMPT, steps: 0 }, 400, /body.steps must be >= 1/);
    await refused("/v1/steps/sessions", { prompt: PROMPT, colour: "red" }, 400, /must NOT have additional properties \('colour'\)/);
    await refused("/v1/steps/sessions", { prompt: "a photo of a zebra" }, 400, /unknown word 'zebra'/);
    await refused("/v1/steps/sessions", { prompt: PROMPT, correction: { reason: "x", previous: { session: "nope", snapshot: "snap-1" } } }, 400, /no snapshot 'snap-1' in an open session 'nope'/);
    const s = await open();
    await refused(at(s, "paths"), { paths: [{ id: 0 }] }, 400, /a fresh path needs a seed/);
    await refused(at(s, "paths"), { paths: [{ id: -1, seed: 1 }] }, 400, /body.paths.0.id must be >= 0/);
    await refused(at(s, "paths"), { paths: [0, 1, 2, 3, 4].map((id) => ({ id, seed: id })) }, 400, /body.paths must NOT have more than 4 items/);
    await refused(at(s, "paths"), { paths: [{ id: 0, seed: 1 }], from: "snap-9" }, 400, /no snapshot 'snap-9' in this session/);
    await refused(at(s, "predictions"), { ids: [0] }, 400, /path 0 has no prediction/);
    await refused(at(s, "step"), { include: ["jpeg"] }, 400, /body.include.0 must be equal to one of the allowed values: png, tokens/);
    assert.equal((await post(at(s, "paths"), { paths: [{ id: 0, seed: 1 }, { id: 1, seed: 2 }] })).json().live.join(), "0,1");
    await refused(at(s, "paths"), { paths: [{ id: 1, seed: 3 }] }, 400, /path 1 is live already/);
    await refused(at(s, "paths"), { paths: [{ id: 2, seed: 3 }, { id: 2, seed: 4 }] }, 400, /path 2 is given twice/);
    // the refused body added no path 2: adding it now is accepted (then it goes again)
    assert.equal((await post(at(s, "paths"), { paths: [{ id: 2, seed: 5 }] })).json().live.join(), "0,1,2");
    assert.equal((await post(at(s, "truncate"), { ids: [2] })).statusCode, 200);
    await refused(at(s, "finals"), { ids: [0] }, 400, /path 0 is not finished: 3 of its 3 steps are left/);
    await refused(at(s, "truncate"), { ids: [7] }, 400, /path 7 is not live/);
    const snap = (await post(at(s, "snapshots"), { id: 0 })).json();
    assert.deepEqual([snap.path, snap.step], [0, 0]);
    const step = (await post(at(s, "step"), { include: ["png", "tokens"] })).json();
    assert.deepEqual(step.results.map((r: { path: number; step: number }) => [r.path, r.step]), [[0, 0], [1, 0]]);
    assert.ok(step.results.every((r: { png: string; tokens: number[] }) => r.png.length > 0 && r.tokens.length === 16), "inline predictions when asked");
    assert.equal(step.nfe, 2 * 2);
    await refused(at(s, "paths"), { paths: [{ id: 2 }], from: snap.snapshot }, 400, /the unfinished paths are at step 1; a new path at step 0 cannot join them/);
    await refused(at(s, "paths"), { paths: [{ id: 2, seed: 1 }, { id: 3 }], from: snap.snapshot }, 400, /give every path a seed \(branches\) or none \(resumes\)/);
    const predictions = (await post(at(s, "predictions"), { ids: [1], include: ["tokens"] })).json().predictions;
    assert.deepEqual([predictions[0].path, predictions[0].step, predictions[0].png, predictions[0].tokens.length], [1, 0, undefined, 16]);
  });

  it("an unknown or closed session is a 404; a full server a 429 with Retry-After", async () => {
    await refused(at("no-such-session", "step"), {}, 404, /no step session 'no-such-session'/);
    // the session of the first test holds one of the two places
    const s = await open();
    const full = await post("/v1/steps/sessions", { prompt: PROMPT });
    assert.equal(full.statusCode, 429);
    assert.equal(full.headers["retry-after"], "1");
    assert.match(full.json().message, /2 step sessions are open/);
    const closed = await a.inject({ method: "DELETE", url: `/v1/steps/sessions/${s}` });
    assert.deepEqual(closed.json(), { session: s, nfe: 0 });
    await refused(at(s, "step"), {}, 404, /no step session/);
    assert.equal((await post("/v1/steps/sessions", { prompt: PROMPT })).statusCode, 201, "its place is free again");
  });

  it("the OpenAPI spec lists every step route with its request schema, and nothing else", async () => {
    const r = await a.inject({ method: "GET", url: "/v1/steps/openapi.json" });
    assert.equal(r.statusCode, 200);
    const spec = r.json();
    assert.match(spec.openapi, /^3\./);
    assert.deepEqual(Object.keys(spec.paths).sort(), [
      "/v1/steps",
      "/v1/steps/sessions",
      "/v1/steps/sessions/{session}",
      "/v1/steps/sessions/{session}/finals",
      "/v1/steps/sessions/{session}/paths",
      "/v1/steps/sessions/{session}/predictions",
      "/v1/steps/sessions/{session}/snapshots",
      "/v1/steps/sessions/{session}/step",
      "/v1/steps/sessions/{session}/truncate",
    ]);
    const open = spec.paths["/v1/steps/sessions"].post;
    assert.deepEqual(open.requestBody.content["application/json"].schema.required, ["prompt"]);
    assert.ok(open.responses["201"] && open.responses["429"]);
    assert.equal(spec.paths["/v1/steps/sessions/{session}/step"].post.parameters[0].name, "session");
  });
});

describe("step sessions: idle timeout and one call at a time", () => {
  it("a session left idle is closed", async () => {
    const a = app({ limits: { sessionIdleSeconds: 0.2 } });
    const s = (await a.inject({ method: "POST", url: "/v1/steps/sessions", payload: { prompt: PROMPT } })).json().session;
    await new Promise((r) => setTimeout(r, 400));
    const r = await a.inject({ method: "POST", url: `/v1/steps/sessions/${s}/step`, payload: {} });
    assert.equal(r.statusCode, 404);
    assert.match(r.json().message, /idle for more than 0.2 s/);
  });

  it("a second call on a session while one runs is a 409; health answers meanwhile", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const inner = new EmbeddedStepGenerator(tinyPipeline());
    // a generator whose steps wait at a gate, so a call stays in flight
    const gated: StepGenerator = {
      name: "gated",
      open: async (prompt, o) => {
        const s = await inner.open(prompt, o);
        const step = s.step.bind(s);
        s.step = async () => (await gate, step());
        return s;
      },
    };
    const a = buildApp(serverOptions(new ScriptedJudge(), {}, gated));
    apps.push(a);
    const s = (await a.inject({ method: "POST", url: "/v1/steps/sessions", payload: { prompt: PROMPT } })).json().session;
    await a.inject({ method: "POST", url: `/v1/steps/sessions/${s}/paths`, payload: { paths: [{ id: 0, seed: 1 }] } });
    const first = a.inject({ method: "POST", url: `/v1/steps/sessions/${s}/step`, payload: {} });
    await new Promise((r) => setTimeout(r, 50));
    const second = await a.inject({ method: "POST", url: `/v1/steps/sessions/${s}/truncate`, payload: { ids: [0] } });
    assert.equal(second.statusCode, 409);
    assert.match(second.json().message, /still running: calls on one session go one at a time/);
    const health = await a.inject({ method: "GET", url: "/v1/health" });
    assert.deepEqual([health.statusCode, health.json().generator, health.json().stepSessions], [200, "gated", 1]);
    release();
    assert.equal((await first).statusCode, 200);
  });
});

describe("the HTTP client's errors are one line", () => {
  it("a bad URL, a server that is not there, a refusal", async () => {
    assert.throws(() => new HttpStepGenerator("localhost:9"), (e) => e instanceof InputError && /invalid generator URL 'localhost:9'/.test(e.message));
    const gone = createServer();
    await new Promise<void>((r) => gone.listen(0, "127.0.0.1", r));
    const port = (gone.address() as AddressInfo).port;
    await new Promise((r) => gone.close(r)); // nobody listens there any more
    await assert.rejects(new HttpStepGenerator(`http://127.0.0.1:${port}`).info(), new RegExp(`^StepProtocolError: cannot reach the step generator at http://127.0.0.1:${port} \\(ECONNREFUSED\\)$`));
    const url = await listening(app());
    const g = new HttpStepGenerator(url);
    assert.equal((await g.info()).protocol, "imagecot-steps/1");
    await assert.rejects(g.open("a photo of a zebra", { sample: TINY_SAMPLE }), (e) => e instanceof InputError && /refused POST \/v1\/steps\/sessions: unknown word 'zebra'/.test(e.message));
  });
});

describe("the compute worker serves the step routes, and a server can drive another one's generator", () => {
  it("parm over HTTP through the worker equals in-process; /v1/generate on a proxying server equals the direct one", async () => {
    const files = saveTiny(dir);
    const executor = await WorkerExecutor.start({ ...files, steps: TINY_SAMPLE.steps, judge: "zero-shot", judgeSettings: {} });
    const worker = buildApp({ executor, resultsDir: dir });
    apps.push(worker);
    const url = await listening(worker);
    // the worker's models are the saved tiny ones: the same weights as tinyPipeline()
    assertSame("parm (worker)", await run("parm", new HttpStepGenerator(url)), await run("parm", new EmbeddedStepGenerator(tinyPipeline())));

    const direct = app();
    const proxy = buildApp(serverOptions(new ScriptedJudge(), {}, new HttpStepGenerator(await listening(direct))));
    apps.push(proxy);
    const body = { prompt: PROMPT, strategy: "parm", n: 4, seed: 7 };
    const [viaProxy, viaDirect] = await Promise.all([proxy, direct].map((x) => x.inject({ method: "POST", url: "/v1/generate", payload: body })));
    assert.equal(viaProxy.statusCode, 200, viaProxy.body);
    const [p, d] = [viaProxy.json(), viaDirect.json()];
    assert.deepEqual([p.image, p.nfe, p.judgeCalls, p.trace], [d.image, d.nfe, d.judgeCalls, d.trace]);
    const word = await proxy.inject({ method: "POST", url: "/v1/generate", payload: { ...body, prompt: "a photo of a zebra" } });
    assert.equal(word.statusCode, 400, "the outside generator's refusal is the client's 400");
    assert.match(word.json().message, /unknown word 'zebra'/);
  });
});
