// One process at a time in a run folder: a second one would overwrite the first's checkpoints
// and interleave one log (two copies of one command, started by mistake, did exactly that).
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { uptime } from "node:os";
import { join } from "node:path";
import { InputError } from "./errors.js";

export const LOCK_FILE = "run.lock";

/** This machine's boot, to the minute: a lock written before a reboot, or on another machine (an archive's), is stale whatever its pid. */
export const bootMinute = (): number => Math.round((Date.now() / 1000 - uptime()) / 60);

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // there, but another user's
  }
};

/**
 * Takes `dir`'s lock for this process and returns its release; refuses (InputError) while another
 * live process holds it. A lock left by a killed process, or one from before a reboot, is taken over.
 */
export function lockRun(dir: string): () => void {
  const file = join(dir, LOCK_FILE);
  const mine = JSON.stringify({ pid: process.pid, boot: bootMinute() });
  try {
    writeFileSync(file, mine, { flag: "wx" });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    let held: { pid?: number; boot?: number } = {};
    try {
      held = JSON.parse(readFileSync(file, "utf8")) as typeof held;
    } catch {
      // unreadable: a write cut short, so no live holder
    }
    // the boot time wobbles by a rounding step between readings
    const sameBoot = held.boot !== undefined && Math.abs(held.boot - bootMinute()) <= 1;
    if (held.pid !== undefined && held.pid !== process.pid && sameBoot && alive(held.pid))
      throw new InputError(`${dir} is in use by process ${held.pid} (a run of the same folder): wait for it or stop it; if that process is no run, remove ${file}`);
    writeFileSync(file, mine);
  }
  return () => rmSync(file, { force: true });
}
