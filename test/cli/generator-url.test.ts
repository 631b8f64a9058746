// --generator-url: `generate` and `eval --suite` drive a step server (here the in-process one over
// the tiny models) and write what they write for the embedded generator; the suite's settings
// fingerprint names the URL; a server that is not there is one line and exit 1.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { EmbeddedStepGenerator } from "../../src/generator/embedded-steps.js";
import { generatePaths } from "../../src/generator/generate.js";
import { DEFAULT_SAMPLE } from "../../src/generator/sampler.js";
import { buildApp } from "../../src/server/app.js";
import { encodePng } from "../../src/shapes/image.js";
import { EMBEDDED_JUDGES } from "../../src/judges/embedded.js";
import { PARM_RULE } from "../../src/strategies/parm-rule.js";
import { fileHash } from "../../src/util/file-hash.js";
import { PROMPT, ScriptedJudge, serverOptions, tinyPipeline } from "../server/fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "imagecot-genurl-"));
const served = buildApp(serverOptions(new ScriptedJudge()));
let url = "";
before(async () => {
  await served.listen({ port: 0, host: "127.0.0.1" });
  url = `http://127.0.0.1:${(served.server.address() as AddressInfo).port}`;
});
after(async () => {
  await served.close();
  rmSync(dir, { recursive: true, force: true });
});

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

/** Runs the CLI as a user does (its stdout is the test reporter's in-process): exit code, stdout and stderr. */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((done) => child.on("close", done));
  return { code: code ?? -1, out, err };
}

describe("--generator-url", () => {
  it("generate writes every step and the final images the step server made, and says which server", async () => {
    const out = join(dir, "gen");
    const r = await cli("generate", PROMPT, "--out", out, "--n", "2", "--steps", "6", "--cfg", "1.5", "--seed", "3", "--generator-url", url, "--json", "--quiet");
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out), { out, final: join(out, "final.png"), paths: 2, nfe: 2 * 2 * 6 });
    const here = await generatePaths(new EmbeddedStepGenerator(tinyPipeline()), PROMPT, { ...DEFAULT_SAMPLE, steps: 6, cfg: 1.5, n: 2, seed: 3 }); // the CLI's default temperatures
    assert.ok(readFileSync(join(out, "path-01", "final.png")).equals(encodePng(here.paths[1].image)), "the image the embedded generator makes");
    assert.ok(readFileSync(join(out, "path-00", "step-05.png")).length > 0);
    const trace = JSON.parse(readFileSync(join(out, "trace.json"), "utf8"));
    assert.equal(trace.generator, url);
    assert.deepEqual(trace.paths, [{ id: 0, seed: 3 * 1009 }, { id: 1, seed: 3 * 1009 + 1 }], "no tokens: the server sent PNGs");
  });

  it("eval --suite records the URL in its settings fingerprint instead of the weights' hash, and the judge's weights by their hash", async () => {
    const suite = join(dir, "suite.jsonl");
    writeFileSync(suite, JSON.stringify({ tag: "single_object", include: [{ class: "circle", count: 1 }], prompt: "a photo of a circle" }) + "\n");
    const genDir = join(dir, "eval");
    const r = await cli("eval", "--suite", suite, "--strategy", "best-of-n", "--judge", "zero-shot", "--n", "2", "--images-per-prompt", "2", "--steps", "3", "--generator-url", url, "--gen-dir", genDir, "--json", "--quiet");
    assert.equal(r.code, 0, r.err);
    assert.equal(JSON.parse(r.out).images, 2);
    const settings = JSON.parse(readFileSync(join(genDir, "settings.json"), "utf8"));
    assert.deepEqual([settings.generator, settings.tokenizer, settings.corrector], [url, null, null]);
    assert.equal(settings.judge_weights, fileHash(EMBEDDED_JUDGES["zero-shot"]), "a retrained judge never resumes the folder");
    const summary = JSON.parse(readFileSync(join(genDir, "summary.json"), "utf8"));
    assert.deepEqual([summary.settings.generator, summary.settings.generator_hash], [url, null], "a server's weights have no hash here");
    assert.equal(summary.settings.judge_id, `zero-shot ${fileHash(EMBEDDED_JUDGES["zero-shot"])}`, "a retrained judge's rows are told apart");
    // best-of-n has no rule: its folders claimed before rules were recorded still resume
    assert.ok(!("rule" in settings));
    assert.equal(summary.settings.rule, null);
  });

  it("eval --suite --strategy parm records PARM's rule in its settings fingerprint and its summary", async () => {
    const suite = join(dir, "suite-parm.jsonl");
    writeFileSync(suite, JSON.stringify({ tag: "single_object", include: [{ class: "circle", count: 1 }], prompt: "a photo of a circle" }) + "\n");
    const genDir = join(dir, "eval-parm");
    const r = await cli("eval", "--suite", suite, "--strategy", "parm", "--judge", "zero-shot", "--n", "2", "--images-per-prompt", "1", "--steps", "3", "--generator-url", url, "--gen-dir", genDir, "--json", "--quiet");
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(readFileSync(join(genDir, "settings.json"), "utf8")).rule, PARM_RULE, "a folder made under another rule is refused");
    assert.deepEqual(JSON.parse(readFileSync(join(genDir, "summary.json"), "utf8")).settings.rule, PARM_RULE);
  });

  it("bad combinations exit 2, a server that is not there exits 1, each with one line", async () => {
    const both = await cli("generate", PROMPT, "--out", join(dir, "x"), "--generator-url", url, "--generator", "g.safetensors");
    assert.deepEqual([both.code, both.err], [2, "imagecot: --generator-url drives an outside generator: drop --generator\n"]);
    const replay = await cli("eval", "--suite", "suites/geneval-shapes.jsonl", "--replay", join(dir, "r"), "--strategy", "parm", "--judge", "fine-tuned", "--generator-url", url);
    assert.equal(replay.code, 2);
    assert.match(replay.err, /--replay records the embedded generator's tokens/);
    const gone = createServer();
    await new Promise<void>((r) => gone.listen(0, "127.0.0.1", r));
    const port = (gone.address() as AddressInfo).port;
    await new Promise((r) => gone.close(r));
    const absent = await cli("demo", PROMPT, "--out", join(dir, "demo"), "--generator-url", `http://127.0.0.1:${port}`, "--quiet");
    assert.deepEqual([absent.code, absent.err], [1, `imagecot: cannot reach the step generator at http://127.0.0.1:${port} (ECONNREFUSED)\n`]);
  });
});
