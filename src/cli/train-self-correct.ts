// `imagecot train self-correct`: fine-tunes the generator on (prompt, wrong image, reason, right
// image) groups from collected paths, alternating with plain renders (see align/self-correct.ts).
// --reasons picks what the reason is. The default is the reflecting judge's: that is what
// PARM++ feeds the model at inference, and it is feasible here (the fine-tuned judge ships, and
// a reflection costs one small forward per failing final, little beside the training steps).
// The detector's reasons stay for comparison: they are the judge's target, not its words. With
// `none` the run trains the ablation's model, and its defaults (run folder, weights, summary)
// are its own, so that the two models never share a checkpoint.
import { judgeId } from "../judges/judge.js";
import { decodeTokens } from "../generator/pipeline.js";
import { loadGenerator, loadVQ } from "../models/load.js";
import { DEFAULT_CORRECTOR_NO_REASON_WEIGHTS, DEFAULT_CORRECTOR_WEIGHTS } from "../models/paths.js";
import { readCollected } from "../judges/collect.js";
import { type ReasonGiver, type ReasonSource, correctionBatch, correctionGroups } from "../align/self-correct.js";
import { renderBatch, trainGenerator } from "../generator/train.js";
import type { LogEntry } from "../train/log.js";
import { cliJudge } from "./judge.js";
import { UserError } from "./run.js";

export const DEFAULT_REASON_JUDGE = "fine-tuned";
/**
 * Share of rows a model trained with reasons sees without theirs: it still serves regenerations
 * without one (parm++-no-reason when no model trained without reasons ships, a reason with no
 * word the generator knows). A model trained without reasons has none to drop.
 */
export const REASON_DROPOUT = 0.2;

export interface TrainSelfCorrectCliOptions {
  data: string[];
  reasons: ReasonSource;
  /** with --reasons judge: the reflecting judge (default DEFAULT_REASON_JUDGE) */
  judge?: string;
  init: string;
  tokenizer: string;
  runDir?: string;
  out?: string;
  results?: string;
  steps: number;
  batch: number;
  lr: number;
  seed: number;
  stopAt?: number;
}

/** The run folder, weights and summary a run writes: the ablation's (--reasons none) are its own. */
export function selfCorrectFiles(o: Pick<TrainSelfCorrectCliOptions, "reasons" | "runDir" | "out" | "results">): { runDir: string; out: string; results: string } {
  const tail = o.reasons === "none" ? "-no-reason" : "";
  return {
    runDir: o.runDir ?? `runs/self-correct${tail}`,
    out: o.out ?? (o.reasons === "none" ? DEFAULT_CORRECTOR_NO_REASON_WEIGHTS : DEFAULT_CORRECTOR_WEIGHTS),
    results: o.results ?? `results/train-self-correct${tail}.json`,
  };
}

export async function trainSelfCorrectCommand(o: TrainSelfCorrectCliOptions, onLog: (e: LogEntry) => void): Promise<void> {
  if (o.judge !== undefined && o.reasons !== "judge") throw new UserError(`--judge gives the reasons of --reasons judge; --reasons ${o.reasons} asks no judge`);
  const files = selfCorrectFiles(o);
  const vq = loadVQ(o.tokenizer);
  const judgeName = o.judge ?? DEFAULT_REASON_JUDGE;
  const judge = o.reasons === "judge" ? cliJudge({ judge: judgeName }) : undefined;
  const reasons: ReasonGiver = judge ? { source: "judge", judge, decode: (grids) => decodeTokens(vq, grids) } : { source: o.reasons as "detector" | "none" };
  if (judge && !judge.reflect) throw new UserError(`judge '${judgeName}' does not reflect: it gives no reasons to train on`);
  const { groups, judgeAccepted } = await correctionGroups(readCollected(o.data), reasons);
  if (groups.length === 0) throw new UserError(`no failing finals in ${o.data.join(",")} to correct`);
  const accepted = judge ? `; the judge accepted ${judgeAccepted} of them (generic reason)` : "";
  process.stderr.write(`self-correction: ${groups.length} groups (${groups.filter((g) => g.right.length > 0).length} with a right final of their own), ${o.reasons} reasons${accepted}\n`);
  const config = loadGenerator(o.init).config;
  const noReason = o.reasons === "none" ? 0 : REASON_DROPOUT;
  // what the weights' metadata and the summary record of the data
  const recorded = {
    reasons: o.reasons,
    ...(judge ? { reason_judge: judgeId(judge), judge_accepted: judgeAccepted } : {}),
    reason_dropout: noReason,
    groups: groups.length,
  };
  const opts = { seed: o.seed, batch: o.batch, condDropout: 0.1, config };
  const correction = { ...opts, maxText: config.maxText, maxReason: config.maxReason, imageTokens: config.imageTokens, noReason };
  trainGenerator(
    {
      ...opts,
      ...files,
      steps: o.steps,
      lr: o.lr,
      weightDecay: 0.05,
      stopAt: o.stopAt,
      checkpointEvery: 100,
      logEvery: 25,
      init: o.init,
      kind: "self-correction",
      recorded,
      // resuming a run folder on other data is refused: other reasons, another judge's (a
      // retrained one has another id), another collection
      state: { reasons: o.reasons, reason_judge: recorded.reason_judge ?? null, groups: groups.length },
      // even steps correct, odd steps generate from the prompt alone
      batches: (step) => (step % 2 === 0 ? correctionBatch(groups, vq, correction, step) : renderBatch(opts, vq, step)),
      onLog,
    },
    vq,
  );
}
