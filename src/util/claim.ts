// A folder claimed for the settings its contents depend on, so that a rerun with other settings
// never mixes its files with the old ones, nor reuses them.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "./atomic.js";
import { InputError } from "./errors.js";

export interface ClaimOptions {
  file: string; // the settings file inside the folder
  maker: string; // what makes such folders, for the error ("'eval --suite'")
  contents: string; // what the folder holds, for the error ("images", "DPO candidates")
  flag: string; // the option that names the folder ("--gen-dir")
  /** delete the folder (only one this maker claimed, or an empty one) and claim it afresh */
  restart?: boolean;
}

/**
 * Claims `dir` for `settings`: records them in a new or empty folder, accepts the same ones, and
 * refuses others (InputError, naming each difference). A folder of other files is never claimed
 * or deleted.
 */
export function claimDir(dir: string, settings: Record<string, unknown>, o: ClaimOptions): void {
  const file = join(dir, o.file);
  if (existsSync(dir) && !existsSync(file) && readdirSync(dir).length > 0)
    throw new InputError(`${dir} is not empty and was not made by ${o.maker} (no ${o.file}): give another ${o.flag}`);
  if (o.restart) rmSync(dir, { recursive: true, force: true });
  if (existsSync(file)) {
    const had = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(had), ...Object.keys(settings)])];
    const differ = keys.filter((k) => JSON.stringify(had[k]) !== JSON.stringify(settings[k]));
    if (differ.length > 0)
      throw new InputError(
        `${dir} holds ${o.contents} made with other settings (${differ.map((k) => `${k}: ${JSON.stringify(had[k])}, now ${JSON.stringify(settings[k])}`).join("; ")}); give another ${o.flag}${o.restart === undefined ? "" : ", or --restart to delete them and start over"}`,
      );
    return;
  }
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(file, JSON.stringify(settings, null, 2) + "\n");
}
