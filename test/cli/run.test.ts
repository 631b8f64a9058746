// Exit codes of the CLI's one error handler, for subcommands too (commander's own errors included).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { Command, Option } from "commander";
import { intOption } from "../../src/cli/options.js";
import { EXIT_MEMORY_LIMIT, UserError, runCli } from "../../src/cli/run.js";
import { MemoryLimitError } from "../../src/train/harness.js";

function program(action: () => void): Command {
  const p = new Command().name("t");
  p.command("sub").addOption(new Option("--n <k>").argParser(intOption)).action(action);
  p.configureOutput({ writeErr: () => {}, writeOut: () => {} });
  return p;
}

async function exitCode(argv: string[], action: () => void = () => {}): Promise<number> {
  const saved = process.exitCode;
  process.exitCode = 0;
  const write = process.stderr.write;
  process.stderr.write = () => true;
  try {
    await runCli(program(action), ["node", "t", ...argv]);
    return Number(process.exitCode ?? 0);
  } finally {
    process.stderr.write = write;
    process.exitCode = saved;
  }
}

test("usage errors exit 2, failures 1, help 0", async () => {
  assert.equal(await exitCode(["sub", "--n", "abc"]), 2, "a bad option value in a subcommand");
  assert.equal(await exitCode(["sub", "--bogus"]), 2, "an unknown option");
  assert.equal(await exitCode(["sub", "--help"]), 0);
  assert.equal(await exitCode(["sub"], () => { throw new UserError("bad input"); }), 2);
  assert.equal(await exitCode(["sub"], () => { throw new UserError("server down", 1); }), 1);
  assert.equal(await exitCode(["sub"], () => { throw new Error("bug"); }), 1);
  assert.equal(await exitCode(["sub"], () => { throw new MemoryLimitError(900, 800, 50, "ckpt"); }), EXIT_MEMORY_LIMIT, "a run stopped by its memory limit: rerun");
  assert.equal(EXIT_MEMORY_LIMIT, 75);
  assert.equal(await exitCode(["sub", "--n", "3"]), 0);
});

test("a closed stdout pipe ends the command quietly with exit 0", async () => {
  const main = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
  const child = spawn(process.execPath, [main, "eval", "--help"], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.destroy(); // the reader is gone before the help is written, like `| head -0`
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((done) => child.on("close", done));
  assert.equal(stderr, "", "no EPIPE stack trace");
  assert.equal(code, 0);
});
