// DPO ranking data (data rank --queue): one job per training prompt, which samples its K images,
// labels them with the detector (and scores them with the judge, if any); the enqueuing command
// writes each prompt's PNGs and record as they come back, then builds the pairs as a local run
// does (src/align/rank.ts), finding every record on disk.
import { existsSync } from "node:fs";
import { type RankPlanOptions, rankPlan, rankPrompt, recordFile, writeRankedPrompt } from "../align/rank.js";
import type { RankedPrompt } from "../align/pairs.js";
import type { SampleOptions } from "../generator/sampler.js";
import type { PromptMeta } from "../geneval/types.js";
import { encodePng } from "../shapes/image.js";
import type { QueueConnection } from "./connection.js";
import { type JobProgress, type JobStats, runJobs } from "./enqueue.js";
import { type JobData, type JobJudge, type JobKind, type ModelIds, fromBase64, jobSpec, toBase64 } from "./jobs.js";

export interface RankData extends JobData {
  meta: PromptMeta;
  index: number;
  sampleSeed: number;
  samplesPerPrompt: number;
  sample: SampleOptions;
  judge: JobJudge | null;
}

interface RankResult {
  record: RankedPrompt;
  /** the samples' PNGs, in sample order */
  pngs: string[];
}

export const RANK: JobKind<RankData, RankResult> = {
  kind: "rank",
  async run(ctx, d) {
    const judge = d.judge ? ctx.judge(d.judge) : undefined;
    const { record, images } = await rankPrompt(ctx.pipeline, d.meta, d.index, { sample: d.sample, samplesPerPrompt: d.samplesPerPrompt, judge }, d.sampleSeed);
    return { record, pngs: images.map((im) => toBase64(encodePng(im))) };
  },
};

/**
 * Samples, on the queue's workers, the prompts that have no record under `out` (which is claimed
 * for these settings first: a folder made with others is refused, RankSettingsError).
 */
export async function queueRank(c: QueueConnection, o: RankPlanOptions & { judge: JobJudge | null; models: ModelIds }, onProgress?: (p: JobProgress) => void): Promise<JobStats> {
  const { metas, sampleSeed } = rankPlan(o);
  const specs = metas.flatMap((meta, i) =>
    existsSync(recordFile(o.out, i))
      ? []
      : [jobSpec("rank", `p${String(i).padStart(5, "0")}`, { models: o.models, meta, index: i, sampleSeed, samplesPerPrompt: o.samplesPerPrompt, sample: o.sample, judge: o.judge })],
  );
  return runJobs(c, specs, (spec, r: RankResult) => (writeRankedPrompt(o.out, r.record, r.pngs.map(fromBase64)), [spec.id]), onProgress);
}
