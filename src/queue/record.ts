// Replay recordings (eval --suite --replay DIR --queue): one job per (prompt, image) that records
// its N full paths, the costly part of a replay; the enqueuing command writes each recording into
// DIR as it comes back, then replays from them as without a queue (the judge's verdicts on them
// and the choices are computed there, and cached beside them).
import { completedPrompt, sampleSeed } from "../eval/run-suite.js";
import { type Recording, keptRecording, recordPaths, recordingFile, writeRecording } from "../eval/replay.js";
import type { SampleOptions } from "../generator/sampler.js";
import type { PromptMeta } from "../geneval/types.js";
import type { QueueConnection } from "./connection.js";
import { type JobProgress, type JobStats, runJobs } from "./enqueue.js";
import { type JobData, type JobKind, type ModelIds, fromBase64, jobSpec, toBase64 } from "./jobs.js";

export interface RecordData extends JobData {
  prompt: string;
  seed: number;
  n: number;
  sample: SampleOptions;
}

/** A recording as sent back: its header (the worker's precision in it), and the (n, steps, tokens) predictions' bytes. */
type RecordResult = Omit<Recording, "predictions"> & { predictions: string };

export const RECORD: JobKind<RecordData, RecordResult> = {
  kind: "record",
  async run(ctx, d) {
    const { predictions, ...header } = await recordPaths(ctx.pipeline, d.prompt, d.seed, d.n, d.sample);
    return { ...header, predictions: toBase64(new Uint8Array(predictions.buffer, predictions.byteOffset, predictions.byteLength)) };
  },
};

export interface QueuedRecordings {
  /** the replay folder */
  dir: string;
  /** the suite's layout folder: prompts complete there need no recording */
  out: string;
  suite: readonly PromptMeta[];
  prompts: readonly number[];
  imagesPerPrompt: number;
  seed: number;
  n: number;
  sample: SampleOptions;
  models: ModelIds;
}

/** Records, on the queue's workers, what the replay of the prompts not complete in `out` lacks. */
export async function queueRecordings(c: QueueConnection, o: QueuedRecordings, onProgress?: (p: JobProgress) => void): Promise<JobStats> {
  const specs = o.prompts
    .filter((p) => !completedPrompt(o.out, p, o.imagesPerPrompt))
    .flatMap((p) => Array.from({ length: o.imagesPerPrompt }, (_, s) => ({ p, seed: sampleSeed(o.seed, p, s) })))
    .filter(({ seed }) => !keptRecording(recordingFile(o.dir, seed), o.n, o.sample))
    .map(({ p, seed }) => jobSpec("record", `seed${seed}`, { models: o.models, prompt: o.suite[p].prompt, seed, n: o.n, sample: o.sample }));
  return runJobs(c, specs, (spec, r: RecordResult) => {
    const bytes = fromBase64(r.predictions);
    const predictions = new Uint16Array(bytes.byteLength / 2);
    new Uint8Array(predictions.buffer).set(bytes);
    writeRecording(recordingFile(o.dir, r.seed), { ...r, predictions });
    return [spec.id];
  }, onProgress);
}
