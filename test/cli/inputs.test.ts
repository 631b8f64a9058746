// Bad values are caught where they enter: option parsers, prompts, image headers, and the one
// error handler that turns input errors into one line and exit 2, never a stack trace.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { deflateSync } from "node:zlib";
import { Command } from "commander";
import { cfgOption, pathsOption, seedOption, temperatureOption } from "../../src/cli/options.js";
import { runCli } from "../../src/cli/run.js";
import { promptIds } from "../../src/generator/prompt.js";
import { decodePng, encodePng, pngSize } from "../../src/shapes/image.js";
import { InputError } from "../../src/util/errors.js";

test("seeds are 32-bit, temperatures above 0, guidance at least 0, paths bounded", () => {
  assert.equal(seedOption(String(2 ** 32 - 1)), 2 ** 32 - 1);
  assert.throws(() => seedOption(String(2 ** 32)), /\[0, 2\^32\)/);
  assert.throws(() => seedOption("9000000000000"), /\[0, 2\^32\)/);
  assert.throws(() => temperatureOption("0"), /above 0/);
  assert.throws(() => temperatureOption("-1"), /above 0/);
  assert.equal(temperatureOption("0.5"), 0.5);
  assert.throws(() => cfgOption("-5"), /at least 0/);
  assert.equal(cfgOption("0"), 0);
  assert.throws(() => pathsOption("0"), /\[1, 1024\]/);
  assert.throws(() => pathsOption("100000"), /\[1, 1024\]/);
});

test("an empty or over-long prompt is an input error", () => {
  assert.throws(() => promptIds("", 16), InputError);
  assert.throws(() => promptIds("   ", 16), /empty/);
  const long = "a photo of " + Array(14).fill("red").join(" ") + " circle";
  assert.throws(() => promptIds(long, 16), (e: unknown) => e instanceof InputError && /at most 16/.test((e as Error).message));
});

/** A PNG whose header declares w x h but whose data is one zlib-compressed row: tiny, never decodable. */
function lyingPng(w: number, h: number): Uint8Array {
  const real = encodePng({ width: 1, height: 1, data: new Uint8Array(3) });
  const out = Buffer.from(real);
  out.writeUInt32BE(w, 16);
  out.writeUInt32BE(h, 20);
  return out;
}

test("image dimensions are checked from the PNG header before decoding", () => {
  assert.deepEqual(pngSize(lyingPng(20000, 20000)), { width: 20000, height: 20000 });
  const t0 = performance.now();
  assert.throws(() => decodePng(lyingPng(20000, 20000)), /20000x20000 pixels is over the limit/);
  assert.ok(performance.now() - t0 < 1000, "refused without decoding");
  assert.throws(() => decodePng(lyingPng(64, 64), 32 * 32), /over the limit of 1024/);
  assert.throws(() => decodePng(new Uint8Array([1, 2, 3])), (e: unknown) => e instanceof InputError && /not a PNG/.test((e as Error).message));
  assert.throws(() => decodePng(Buffer.concat([Buffer.from(lyingPng(2, 2)).subarray(0, 33), deflateSync(Buffer.alloc(3))])), InputError);
});

async function run(action: () => void, argv: string[] = []): Promise<{ code: number; err: string }> {
  const p = new Command().name("t");
  p.option("--verbose");
  p.command("sub").action(action);
  p.configureOutput({ writeErr: () => {}, writeOut: () => {} });
  const write = process.stderr.write.bind(process.stderr);
  let err = "";
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  const saved = process.exitCode;
  try {
    process.exitCode = 0;
    await runCli(p, ["node", "t", ...argv, "sub"]);
    return { code: Number(process.exitCode ?? 0), err };
  } finally {
    process.stderr.write = write;
    process.exitCode = saved;
  }
}

test("input errors exit 2 with one line; failures exit 1 with one line, the trace only with --verbose", async () => {
  const bad = await run(() => {
    throw new InputError("prompt is empty");
  });
  assert.equal(bad.code, 2);
  assert.equal(bad.err, "imagecot: prompt is empty\n");
  const fail = await run(() => {
    throw new Error("disk full");
  });
  assert.equal(fail.code, 1);
  assert.equal(fail.err.trim().split("\n").length, 1);
  assert.match(fail.err, /disk full \(rerun with --verbose/);
  const verbose = await run(() => {
    throw new Error("disk full");
  }, ["--verbose"]);
  assert.match(verbose.err, /\n\s+at /, "the stack trace");
});

test("this round's options: bad grids, shares and combinations are one line and exit 2", async () => {
  const { cli } = await import("../fixtures/cli.js");
  const cases: [string[], RegExp][] = [
    [["bench", "dpo-val", "--data", "runs/none", "--lr", "1e-5,0"], /positive numbers separated by commas/],
    [["bench", "dpo-val", "--data", "runs/none", "--beta", "x"], /expected a number/],
    [["bench", "dpo-val", "--data", "runs/none", "--nll-weight", "0,-1"], /numbers of at least 0 separated by commas/],
    [["bench", "dpo-val", "--data", "runs/none,runs/none-2"], /cannot read the pairs of runs\/none: .*runs\/none\/pairs\.jsonl/],
    [["train", "dpo", "--nll-weight", "-0.5"], /expected a number of at least 0/],
    [["bench", "dpo-val", "--data", "runs/none", "--min-mask-ratio", "0,1"], /numbers of at least 0 and below 1 separated by commas/],
    [["train", "dpo", "--min-mask-ratio", "1.5"], /expected a number of at least 0 and below 1/],
    [["train", "dpo", "--trajectory", "--min-mask-ratio", "0.5"], /--min-mask-ratio has no meaning with --trajectory/],
    [["bench", "dpo-val", "--data", "runs/none", "--trajectory", "--min-mask-ratio", "0,0.5"], /--min-mask-ratio has no meaning with --trajectory/],
    [["data", "rank", "--out", "runs/none", "--pairs", "100", "--min-tag-share", "0.5"], /--min-tag-share must be above 0 and at most 0.2/],
    [["eval", "--suite", "suites/geneval-shapes.jsonl", "--queue", "redis://127.0.0.1:1", "--generator-url", "http://127.0.0.1:1"], /--queue runs the embedded generator on the workers/],
    [["train", "judge", "--kind", "zero-shot", "--group", "1"], /--group must be at least 2/],
    [["train", "generator", "--cache-rows", "0", "--class-weights", "star=2"], /--class-weights needs the token cache/],
    [["train", "generator", "--class-weights", "star=x"], /class weights: 'star=x' is not CLASS=WEIGHT/],
    [["train", "generator", "--class-weights", "star=2,star=3"], /'star' is given twice/],
    // every command reading collected paths: a missing folder is bad input, never a stack trace
    [["bench", "judge", "--data", "runs/none"], /^imagecot: not a folder: runs\/none$/m],
    [["bench", "parm-val", "--data", "suites,runs/none"], /^imagecot: not a folder: runs\/none$/m],
    [["bench", "reasons", "--data", "runs/none"], /not a folder: runs\/none$/m],
    [["train", "judge", "--kind", "fine-tuned", "--data", "runs/none"], /not a folder: runs\/none$/m],
    [["train", "judge-counter", "--init", "models/judge-zero-shot.safetensors", "--data", "runs/none"], /not a folder: runs\/none$/m],
    [["train", "self-correct", "--data", "runs/none", "--reasons", "detector"], /not a folder: runs\/none$/m],
    [["train", "dpo", "--data", "runs/none"], /^imagecot: runs\/none is not a ranking data folder \(no meta.json\): make it with 'imagecot data rank'$/m],
    [["bench", "oracle", "--record", "runs/none"], /^imagecot: not a folder: runs\/none$/m],
    // a stray comma names no folder: said as such, not "not a folder: " with no name
    [["bench", "judge", "--data", "suites,"], /expected folders separated by commas, got 'suites,'/],
    [["train", "judge-counter", "--data", "suites", "--samples", ",suites"], /expected folders separated by commas, got ',suites'/],
    [["bench", "dpo-val", "--data", "runs/a,,runs/b"], /expected folders separated by commas, got 'runs\/a,,runs\/b'/],
  ];
  // a ranking made before the sampling orders were kept: trajectory DPO cannot read it
  const old = mkdtempSync(join(tmpdir(), "imagecot-old-rank-"));
  const pair = { prompt: "a photo of a circle", chosen: "c.png", rejected: "r.png", prompt_index: 0, tag: "single_object", chosen_sample: 0, rejected_sample: 1, chosen_tokens: [1], rejected_tokens: [2], weight: 1 };
  writeFileSync(join(old, "pairs.jsonl"), JSON.stringify(pair) + "\n");
  cases.push([["bench", "dpo-val", "--data", old, "--trajectory"], /--trajectory: the pairs of .* carry no sampling orders/]);
  // self-play: pairs made with --render-pairs only, and not beside another scheme or the trajectory reading
  cases.push([["bench", "dpo-val", "--data", old, "--self-play"], /has no self-play pairs: rerun its 'imagecot data rank' command with --render-pairs/]);
  cases.push([["bench", "dpo-val", "--data", old, "--self-play", "--reward-guided"], /--self-play and --reward-guided are two pair schemes/]);
  cases.push([["train", "dpo", "--self-play", "--trajectory"], /a render \(--self-play's chosen image\) has none/]);
  for (const [args, message] of cases) {
    const r = await cli(args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.err}`);
    assert.match(r.err, message);
    assert.equal(r.err.trim().split("\n").length, 1, `${args.join(" ")}: one line`);
  }
  rmSync(old, { recursive: true });
});
