// Every results file says how it was made: the exact command, the commit, the date, the machine.
import { execFileSync } from "node:child_process";
import { cpus, totalmem, type as osType, release } from "node:os";
import { writeFileAtomic } from "./atomic.js";
import { type Precision, precision } from "./precision.js";

export interface Provenance {
  command: string;
  git_commit: string;
  git_dirty: boolean | null;
  date: string;
  machine: { cpu: string; cores: number; memory_gib: number; os: string; node: string; precision: Precision };
}

function git(args: string[]): string | null {
  try {
    return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

/** The provenance of this process: `command` defaults to the CLI invocation as typed. */
export function provenance(command = ["imagecot", ...process.argv.slice(2)].join(" ")): Provenance {
  const c = cpus();
  const sent = process.env.IMAGECOT_GIT_COMMIT;
  return {
    command,
    // a tree copied to another machine (a GPU's) is told its commit by its sender: the copy's
    // .git, if any, may name an older one, and whether it is dirty is then not known
    git_commit: sent || (git(["rev-parse", "HEAD"]) ?? "unknown"),
    git_dirty: sent ? null : (git(["status", "--porcelain", "--untracked-files=no"]) ?? "") !== "",
    date: new Date().toISOString(),
    machine: {
      cpu: c[0]?.model ?? "unknown",
      cores: c.length,
      memory_gib: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      os: `${osType()} ${release()}`,
      node: process.version,
      precision: precision(),
    },
  };
}

/** Writes `{...provenance, ...result}` as pretty JSON, atomically. */
export function writeResult(path: string, result: object, command?: string): void {
  writeFileAtomic(path, JSON.stringify({ ...provenance(command), ...result }, null, 2) + "\n");
}
