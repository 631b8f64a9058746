// The Python reference step server (examples/python-step-server, standard library only) driven
// by PARM and PRM with the embedded fine-tuned judge (its potential answer forced to no on some
// images): the paths, NFE and judge calls the traces imply, cuts that the server honours (cut
// paths cost nothing more), the same results on a second run, and the protocol's refusals.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { HttpStepGenerator } from "../../src/generator/http-step-generator.js";
import { DEFAULT_SAMPLE } from "../../src/generator/sampler.js";
import { loadEmbeddedJudge } from "../../src/judges/embedded.js";
import type { Judge, JudgeRequest, Verdict } from "../../src/judges/judge.js";
import { encodePng } from "../../src/shapes/image.js";
import type { PathTrace } from "../../src/strategies/parm.js";
import { strategyByName, type StrategyResult } from "../../src/strategies/index.js";
import { fromRoot } from "../../src/util/root.js";

const python = spawnSync("python3", ["--version"]).status === 0;
const SERVER = fromRoot("examples", "python-step-server", "server.py");
const T = 12;
const N = 4;
const sample = { ...DEFAULT_SAMPLE, steps: T };
const PROMPT = "a photo of two red circles";

/**
 * The embedded judge, counting the questions it is asked. Its potential answer is no for images
 * of odd pixel sum, so that PARM cuts paths whatever the shipped judge makes of the toy's
 * drawings (the server's handling of cuts is what is tested), and the same on a second run.
 */
class Counting implements Judge {
  readonly name: string;
  questions = 0;
  constructor(private readonly inner: Judge) {
    this.name = inner.name;
  }
  async judge(requests: readonly JudgeRequest[]): Promise<Verdict[]> {
    this.questions += requests.length;
    for (const r of requests) assert.deepEqual([r.image.width, r.image.height], [64, 64], "the toy draws 64x64 images");
    const verdicts = await this.inner.judge(requests);
    return verdicts.map((v, i) => (requests[i].question === "potential" && requests[i].image.data.reduce((a, b) => a + b, 0) % 2 === 1 ? { pYes: 0.1 } : v));
  }
}

describe("the Python reference step server", { skip: python ? false : "python3 is not on PATH" }, () => {
  let child: ChildProcess;
  let url: string;
  const fineTuned = loadEmbeddedJudge("fine-tuned");

  before(async () => {
    child = spawn("python3", [SERVER, "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
    const [line] = await new Promise<string[]>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once("line", (l) => resolve([l]));
      child.once("exit", (code) => reject(new Error(`the Python step server exited (code ${code})`)));
    });
    url = line.replace(/^listening on /, "");
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });
  after(() => void child?.kill());

  async function run(name: string, seeds: number[]): Promise<{ results: StrategyResult[]; questions: number }> {
    const judge = new Counting(fineTuned);
    const results = await strategyByName(name).run({ generator: new HttpStepGenerator(url), judge, n: N, sample }, PROMPT, seeds);
    return { results, questions: judge.questions };
  }

  /** A second run gives the same images, costs and traces. */
  async function assertRepeats(name: string, seeds: number[], first: Awaited<ReturnType<typeof run>>): Promise<void> {
    const again = await run(name, seeds);
    assert.equal(again.questions, first.questions);
    again.results.forEach((r, i) => {
      const f = first.results[i];
      assert.ok(encodePng(r.image).equals(encodePng(f.image)), `${name} seed ${seeds[i]}: the same image again`);
      assert.deepEqual([r.nfe, r.judgeCalls, r.trace], [f.nfe, f.judgeCalls, f.trace]);
    });
  }

  it("speaks the protocol", async () => {
    const info = await new HttpStepGenerator(url).info();
    assert.deepEqual([info.protocol, info.tokens, info.steps], ["imagecot-steps/1", true, 18]);
  });

  it("parm: N paths, cut paths cost nothing after their cut, judge calls as traced, the same on a second run", async () => {
    const seeds = [1, 2, 3];
    const first = await run("parm", seeds);
    let cuts = 0;
    for (const r of first.results) {
      const paths = r.trace.paths as PathTrace[];
      assert.equal(paths.length, N);
      cuts += paths.filter((p) => p.cutAfter !== null).length;
      // both CFG halves of every step a path ran: to the end, or to its cut (and the rescued path on to the end)
      const ran = paths.reduce((a, p) => a + (p.cutAfter === null ? T : p.cutAfter + 1), 0);
      const rescued = r.trace.via === "fallback" ? T - (paths.find((p) => p.id === r.trace.chosen)!.cutAfter! + 1) : 0;
      assert.equal(r.nfe, 2 * (ran + rescued), "the server charged only the steps it was asked for");
      const asked = paths.reduce((a, p) => a + p.clarity.length + (p.potential ? 1 : 0) + (p.outcome !== null ? 1 : 0), 0);
      assert.equal(r.judgeCalls, asked);
      assert.equal(r.selection?.rejected.length, N - 1);
      for (const x of r.selection!.rejected) assert.equal(x.image === null, x.cutAfter !== null, "cut paths have no final image");
    }
    assert.equal(first.questions, first.results.reduce((a, r) => a + r.judgeCalls, 0));
    assert.ok(cuts > 0, "the judge cut some paths, so truncation was exercised");
    await assertRepeats("parm", seeds, first);
  });

  it("step-best-of-n: N branches a step, the process question of each, the same on a second run", async () => {
    const seeds = [5];
    const first = await run("step-best-of-n", seeds);
    const [r] = first.results;
    assert.equal(r.nfe, 2 * N * T);
    assert.equal(r.judgeCalls, N * T);
    assert.equal(first.questions, N * T);
    const steps = r.trace.steps as { step: number; process: number[] }[];
    assert.deepEqual(steps.map((s) => s.step), Array.from({ length: T }, (_, t) => t));
    assert.ok(steps.every((s) => s.process.length === N));
    await assertRepeats("step-best-of-n", seeds, first);
  });

  it("refuses what it cannot do, as imagecot's server does", async () => {
    const post = (path: string, body: object) => fetch(url + path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const missing = await post("/v1/steps/sessions", { steps: 3 });
    assert.equal(missing.status, 400);
    assert.match(((await missing.json()) as { message: string }).message, /body must have required property 'prompt'/);
    const unknown = await post("/v1/steps/sessions/nope/step", {});
    assert.equal(unknown.status, 404);
    const s = (await (await post("/v1/steps/sessions", { prompt: PROMPT, steps: 3 })).json()) as { session: string };
    const seedless = await post(`/v1/steps/sessions/${s.session}/paths`, { paths: [{ id: 0 }] });
    assert.equal(seedless.status, 400);
    assert.match(((await seedless.json()) as { message: string }).message, /a fresh path needs a seed/);
    assert.equal((await fetch(`${url}/v1/steps/sessions/${s.session}`, { method: "DELETE" })).status, 200);
  });
});
