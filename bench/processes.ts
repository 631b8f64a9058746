// Sampling throughput of P copies of `bench generate` at once, each with cores/P OpenBLAS
// threads: on a small machine whose second core buys one process's matmuls little, several
// one-thread processes (queue workers) can make more images than one process with every core.
// The copies start together and time the same images after the same loading, so their timed
// windows overlap; their rates are summed.
import { execFile } from "node:child_process";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import type { GenerateBenchResult } from "./generate.js";

const CLI = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));

export interface ProcessesResult {
  processes: number;
  blas_threads_each: number;
  /** every process's images per second, summed: the machine's throughput at this split */
  images_per_second: number;
  seconds_per_image_each: number[];
}

/** One copy of `imagecot bench generate ARGS --json --quiet`; a failure is its first line of stderr. */
function generateIn(args: readonly string[], env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<GenerateBenchResult> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [...process.execArgv, CLI, "bench", "generate", ...args, "--json", "--quiet"], { env, signal, maxBuffer: 1 << 24 }, (e, stdout, stderr) => {
      if (e) return reject(new Error(`bench generate --processes: a copy failed: ${stderr.trim().split("\n")[0] || e.message.split("\n")[0]}`));
      resolve((JSON.parse(stdout.trim().split("\n").at(-1)!) as { generate: GenerateBenchResult }).generate);
    }),
  );
}

/** Runs `processes` copies at once and sums their throughput; one failing stops the others. */
export async function benchProcesses(args: readonly string[], processes: number): Promise<ProcessesResult> {
  const threads = Math.max(1, Math.floor(availableParallelism() / processes));
  const env = { ...process.env, OPENBLAS_NUM_THREADS: String(threads) };
  const abort = new AbortController();
  const each = await Promise.all(Array.from({ length: processes }, () => generateIn(args, env, abort.signal).catch((e: unknown) => (abort.abort(), Promise.reject(e)))));
  return { processes, blas_threads_each: threads, images_per_second: each.reduce((s, g) => s + g.images_per_second, 0), seconds_per_image_each: each.map((g) => g.seconds_per_image) };
}
