import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Command } from "commander";
import { formatJudgeResult, judgeImage, registerJudge, type JudgeCommandOptions } from "../../src/cli/judge.js";
import { UserError } from "../../src/cli/run.js";
import { PAPER_PROMPTS } from "../../src/judges/judge.js";
import { createImage, writePng } from "../../src/shapes/image.js";
import { logprobsCompletion, sendJson, startServer, textCompletion, type FakeServer } from "./server.js";

const PROMPT = "a photo of a blue square";

describe("imagecot judge", () => {
  let dir: string;
  let png: string;
  let server: FakeServer;
  let env: NodeJS.ProcessEnv;
  const opts = (o: Partial<JudgeCommandOptions> = {}): JudgeCommandOptions => ({ prompt: PROMPT, question: "outcome", judge: "openai", ...o });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "imagecot-judge-"));
    png = join(dir, "image.png");
    writePng(png, createImage(8, 8));
    writeFileSync(join(dir, "not.png"), "not a png");
    server = await startServer((req, res) => {
      const body = req.body as { logprobs?: boolean; model: string };
      if (body.model === "missing") sendJson(res, 404, { error: "model 'missing' not found" });
      else sendJson(res, 200, body.logprobs ? logprobsCompletion([["No", Math.log(0.6)], ["Yes", Math.log(0.4)]]) : textCompletion("The square is red."));
    });
    env = { IMAGECOT_JUDGE_BASE_URL: server.baseUrl, IMAGECOT_JUDGE_MODEL: "test-lmm" };
  });
  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const rejectsWith = (p: Promise<unknown>, message: RegExp, exitCode = 2) =>
    assert.rejects(p, (e: unknown) => {
      assert.ok(e instanceof UserError, String(e));
      assert.match(e.message, message);
      assert.equal(e.exitCode, exitCode);
      return true;
    });

  it("asks the chosen question and returns P(yes)", async () => {
    const r = await judgeImage(png, opts({ question: "potential" }), env);
    assert.ok(Math.abs(r.pYes - 0.4) < 1e-12);
    assert.equal(r.reason, undefined);
    const body = server.requests.at(-1)!.body as { messages: { content: { text?: string }[] }[] };
    assert.equal(body.messages[0].content[0].text, PAPER_PROMPTS.potential(PROMPT));
  });

  it("passes --step and --steps with a question about an intermediate image", async () => {
    const r = await judgeImage(png, opts({ question: "clarity", step: 4, steps: 12 }), env);
    assert.ok(Math.abs(r.pYes - 0.4) < 1e-12);
    const body = server.requests.at(-1)!.body as { messages: { content: { text?: string }[] }[] };
    assert.equal(body.messages[0].content[0].text, PAPER_PROMPTS.clarity(PROMPT));
  });

  it("reflects with --reflect", async () => {
    const r = await judgeImage(png, opts({ reflect: true }), env);
    assert.ok(Math.abs(r.pYes - 0.4) < 1e-12);
    assert.equal(r.reason, "The square is red.");
  });

  it("rejects bad input with clear errors", async () => {
    await rejectsWith(judgeImage(png, opts({ question: "beauty" }), env), /^unknown question 'beauty': valid questions are outcome, process, clarity, potential$/);
    await rejectsWith(judgeImage(png, opts({ question: "clarity", reflect: true }), env), /--reflect asks the outcome question/);
    await rejectsWith(judgeImage(png, opts({ question: "outcome", step: 3 }), env), /--step is for intermediate images/);
    await rejectsWith(judgeImage(png, opts({ question: "clarity", step: 18 }), env), /--step 18 is past the last step/);
    await rejectsWith(judgeImage(join(dir, "nope.png"), opts(), env), /^image not found: .*nope\.png$/);
    await rejectsWith(judgeImage(join(dir, "not.png"), opts(), env), /^cannot read '.*not\.png' as PNG/);
    await rejectsWith(judgeImage(png, opts({ judge: "gpt" }), env), /^unknown judge 'gpt': valid judges are zero-shot, fine-tuned, openai$/);
    await rejectsWith(judgeImage(png, opts(), { IMAGECOT_JUDGE_MODEL: "m" }), /openai judge needs the base URL/);
    await rejectsWith(judgeImage(png, opts({ model: "missing" }), env), /HTTP 404 Not Found: \{"error":"model 'missing' not found"\}/, 1);
  });

  it("formats the result as one JSON object with --json, else as lines", () => {
    assert.equal(formatJudgeResult({ pYes: 0.4 }, true), '{"pYes":0.4}\n');
    assert.equal(formatJudgeResult({ pYes: 0.25, reason: "two squares, not one" }, true), '{"pYes":0.25,"reason":"two squares, not one"}\n');
    assert.equal(formatJudgeResult({ pYes: 0.9, reason: null }, true), '{"pYes":0.9,"reason":null}\n');
    assert.equal(formatJudgeResult({ pYes: 0.25, reason: "two squares, not one" }, false), "pYes 0.2500\nreason two squares, not one\n");
    assert.equal(formatJudgeResult({ pYes: 0.4 }, false), "pYes 0.4000\n");
  });

  it("registers a judge command that rejects a missing --prompt", async () => {
    const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined });
    registerJudge(program);
    const judge = program.commands.find((c) => c.name() === "judge");
    assert.ok(judge);
    assert.deepEqual(judge.options.map((o) => o.long), ["--prompt", "--question", "--reflect", "--step", "--steps", "--judge", "--base-url", "--model", "--api-key", "--json"]);
    await assert.rejects(program.parseAsync(["judge", png], { from: "user" }), /required option '--prompt <text>' not specified/);
  });
});
