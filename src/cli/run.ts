// The one error handler: a clear message on stderr and a meaningful exit code.
import { Command, CommanderError } from "commander";
import { StepProtocolError } from "../generator/http-step-generator.js";
import { InputError } from "../util/errors.js";
import { MemoryLimitError } from "../train/harness.js";

/** The exit code of a training run stopped, checkpointed, by its memory limit (sysexits' EX_TEMPFAIL: try again). */
export const EXIT_MEMORY_LIMIT = 75;

/** A user-facing error: printed without a stack trace, exit code 2 (usage) or 1 (failure). */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 2) {
    super(message);
  }
}

/** Commander copies settings to subcommands only when they are created, so override every one. */
function overrideExits(cmd: Command): void {
  cmd.exitOverride();
  cmd.commands.forEach(overrideExits);
}

/** A closed pipe on stdout (`imagecot ... | head`) ends the command quietly, as in any Unix tool. */
let pipeGuarded = false;
function exitOnClosedPipe(): void {
  if (pipeGuarded) return;
  pipeGuarded = true;
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
    process.exit(0);
  });
}

export async function runCli(program: Command, argv: string[]): Promise<void> {
  exitOnClosedPipe();
  overrideExits(program);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander already printed its message; help and version exit 0, its usage errors are ours: 2
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    if (e instanceof UserError || e instanceof InputError) {
      process.stderr.write(`imagecot: ${e.message}\n`);
      process.exitCode = e instanceof UserError ? e.exitCode : 2;
      return;
    }
    if (e instanceof MemoryLimitError) {
      process.stderr.write(`imagecot: ${e.message}\n`);
      process.exitCode = EXIT_MEMORY_LIMIT;
      return;
    }
    // a step server that failed mid-run: its message says what happened; a failure, exit 1
    if (e instanceof StepProtocolError) {
      process.stderr.write(`imagecot: ${e.message}\n`);
      process.exitCode = 1;
      return;
    }
    // anything else is a failure (I/O, a bug): one line, the trace only when asked for
    const verbose = argv.includes("--verbose") || !!process.env.DEBUG;
    const text = e instanceof Error ? (verbose ? e.stack ?? e.message : `${e.message} (rerun with --verbose or DEBUG=1 for the trace)`) : String(e);
    process.stderr.write(`imagecot: ${text}\n`);
    process.exitCode = 1;
  }
}
