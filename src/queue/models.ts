// Which models a job needs and whether a worker has them: the generator and tokenizer (and the
// self-correction generators) by content, and every embedded judge the job asks by its weights.
// A worker with other models would make other images, so it refuses the job.
import type { PipelineIds } from "../eval/fingerprint.js";
import { embeddedJudgeHash } from "../judges/embedded.js";
import { isEmbeddedJudge } from "../judges/registry.js";
import type { JobJudge, ModelIds } from "./jobs.js";

const judgeHash = (name: string): string | null => (isEmbeddedJudge(name) ? embeddedJudgeHash(name) : null);

/** What a job made by this pipeline, with this judge, needs a worker to have. */
export function jobModels(ids: PipelineIds, judge: JobJudge | null): ModelIds {
  const hash = judge ? judgeHash(judge.judge) : null;
  return { ...ids, judges: judge && hash ? { [judge.judge]: hash } : {} };
}

/** Why a worker with these models may not make a job that needs `want`, or null when it may. */
export function modelMismatch(want: ModelIds, have: PipelineIds): string | null {
  const differ: string[] = [];
  for (const k of ["generator", "tokenizer", "corrector", "corrector_no_reason"] as const)
    if (want[k] !== have[k]) differ.push(`${k} ${have[k] ?? "none"}, the job's ${want[k] ?? "none"}`);
  for (const [name, hash] of Object.entries(want.judges))
    if (judgeHash(name) !== hash) differ.push(`judge ${name} ${judgeHash(name) ?? "none"}, the job's ${hash}`);
  return differ.length > 0 ? `this worker's models are not the job's (${differ.join("; ")}): start it with the same weights` : null;
}
