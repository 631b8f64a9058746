// Eval jobs (eval --suite --queue): one job per (prompt, image). The worker runs the strategy for
// that image's seed alone: its paths own their streams, so it is the image a local run makes
// beside the prompt's others. The enqueuing command writes a prompt's folder once all its images
// are back, with the local run's writer, so the folder is the one a local run makes.
import { UnrecoverableError } from "bullmq";
import { EmbeddedStepGenerator } from "../generator/embedded-steps.js";
import type { SuiteSettings } from "../eval/fingerprint.js";
import { REJECTED_SAMPLE } from "../eval/rejected.js";
import { type SuiteImage, completedPrompt, sampleSeed, writePromptResults } from "../eval/run-suite.js";
import type { SampleOptions } from "../generator/sampler.js";
import type { PromptMeta } from "../geneval/types.js";
import { decodePng, encodePng } from "../shapes/image.js";
import { strategyByName } from "../strategies/index.js";
import { sameRule } from "../strategies/parm-rule.js";
import { type Precision, precision } from "../util/precision.js";
import type { QueueConnection } from "./connection.js";
import { type JobProgress, type JobStats, runJobs } from "./enqueue.js";
import { type JobData, type JobJudge, type JobKind, type JobSpec, type ModelIds, fromBase64, jobSpec, toBase64 } from "./jobs.js";

export interface EvalImageData extends JobData {
  /** the run's settings fingerprint (strategy, N, ... and the models by content) */
  settings: SuiteSettings;
  /** the suite's metadata row */
  meta: PromptMeta;
  prompt: number;
  image: number;
  /** the image's generation seed */
  seed: number;
  sample: SampleOptions;
  judge: JobJudge | null;
}

interface EvalImageResult {
  png: string;
  nfe: number;
  judgeCalls: number;
  trace: Record<string, unknown>;
  /**
   * the worker's (its generator's and its judge's); absent from a worker of an older build, or a
   * result kept in Redis from before it was sent
   */
  precision?: Precision;
  /** only for the image whose rejected paths a run keeps */
  selection?: { chosen: number; rejected: { path: number; cutAfter: number | null; pYes: number | null; png: string | null }[] };
}

export const EVAL_IMAGE: JobKind<EvalImageData, EvalImageResult> = {
  kind: "eval-image",
  async run(ctx, d) {
    const strategy = strategyByName(d.settings.strategy);
    // a worker of another build may run another rule: its images would be another run's (refused, not retried)
    if (!sameRule(strategy.rule, d.settings.rule)) throw new UnrecoverableError(`this worker's ${strategy.name} rule is ${JSON.stringify(strategy.rule ?? null)}, the run's ${JSON.stringify(d.settings.rule ?? null)}: run the workers from the same build`);
    const judge = d.judge ? ctx.judge(d.judge) : undefined;
    const [r] = await strategy.run({ generator: new EmbeddedStepGenerator(ctx.pipeline), judge, n: d.settings.n, sample: d.sample }, d.meta.prompt, [d.seed]);
    const kept = d.image === REJECTED_SAMPLE ? r.selection : undefined;
    return {
      png: toBase64(encodePng(r.image)),
      nfe: r.nfe,
      judgeCalls: r.judgeCalls,
      trace: r.trace,
      precision: precision(),
      selection: kept && { chosen: kept.chosen, rejected: kept.rejected.map((x) => ({ path: x.path, cutAfter: x.cutAfter, pYes: x.pYes, png: x.image && toBase64(encodePng(x.image)) })) },
    };
  },
};

function suiteImage(r: EvalImageResult): SuiteImage {
  const selection = r.selection && { chosen: r.selection.chosen, rejected: r.selection.rejected.map(({ png, ...x }) => ({ ...x, image: png === null ? null : decodePng(fromBase64(png)) })) };
  return { image: decodePng(fromBase64(r.png)), nfe: r.nfe, judgeCalls: r.judgeCalls, trace: r.trace, precision: r.precision, selection };
}

export interface QueuedSuite {
  suite: readonly PromptMeta[];
  settings: SuiteSettings;
  models: ModelIds;
  /** the GenEval layout folder (claimed for `settings`) */
  out: string;
  prompts: readonly number[];
  imagesPerPrompt: number;
  seed: number;
  sample: SampleOptions;
  judge: JobJudge | null;
}

/** Makes the images of the prompts not complete in `out` (the local run's resume rule) on the queue's workers. */
export async function queueSuite(c: QueueConnection, o: QueuedSuite, onProgress?: (p: JobProgress) => void): Promise<JobStats> {
  const k = o.imagesPerPrompt;
  const jobs = new Map<number, JobSpec<EvalImageData>[]>();
  for (const p of o.prompts.filter((p) => !completedPrompt(o.out, p, k)))
    jobs.set(
      p,
      Array.from({ length: k }, (_, s) =>
        jobSpec("eval-image", `p${String(p).padStart(5, "0")}-s${String(s).padStart(4, "0")}`, {
          models: o.models,
          settings: o.settings,
          meta: o.suite[p],
          prompt: p,
          image: s,
          seed: sampleSeed(o.seed, p, s),
          sample: o.sample,
          judge: o.judge,
        }),
      ),
    );
  const back = new Map<number, SuiteImage[]>();
  const accept = (spec: JobSpec<EvalImageData>, r: EvalImageResult): string[] => {
    const { prompt: p, image: s } = spec.data;
    const images = back.get(p) ?? [];
    images[s] = suiteImage(r);
    back.set(p, images);
    if (images.filter(Boolean).length < k) return [];
    writePromptResults(o.out, p, o.suite[p], images);
    back.delete(p);
    return jobs.get(p)!.map((j) => j.id);
  };
  return runJobs(c, [...jobs.values()].flat(), accept, onProgress);
}
