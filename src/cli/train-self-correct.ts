// `imagecot train self-correct`: fine-tunes the generator on (prompt, wrong image, reason, right
// image) groups from collected paths, alternating with plain renders (see generator/self-correct.ts).
import { loadGenerator, loadVQ } from "../models/load.js";
import { readCollected } from "../judges/collect.js";
import { correctionBatch, correctionGroups } from "../align/self-correct.js";
import { renderBatch, trainGenerator } from "../generator/train.js";
import type { LogEntry } from "../train/log.js";
import { UserError } from "./run.js";

export interface TrainSelfCorrectCliOptions {
  data: string;
  init: string;
  tokenizer: string;
  runDir: string;
  out: string;
  results: string;
  steps: number;
  batch: number;
  lr: number;
  seed: number;
  stopAt?: number;
}

export function trainSelfCorrectCommand(o: TrainSelfCorrectCliOptions, onLog: (e: LogEntry) => void): void {
  const groups = correctionGroups(readCollected(o.data.split(",")));
  if (groups.length === 0) throw new UserError(`no failing finals in ${o.data} to correct`);
  process.stderr.write(`self-correction: ${groups.length} groups (${groups.filter((g) => g.right.length > 0).length} with a right final of their own)\n`);
  const vq = loadVQ(o.tokenizer);
  const config = loadGenerator(o.init).config;
  const opts = { seed: o.seed, batch: o.batch, condDropout: 0.1, config };
  const correction = { ...opts, maxText: config.maxText, maxReason: config.maxReason, imageTokens: config.imageTokens, noReason: 0.2 };
  trainGenerator(
    {
      ...opts,
      runDir: o.runDir,
      out: o.out,
      results: o.results,
      steps: o.steps,
      lr: o.lr,
      weightDecay: 0.05,
      stopAt: o.stopAt,
      checkpointEvery: 100,
      logEvery: 25,
      init: o.init,
      kind: "self-correction",
      // even steps correct, odd steps generate from the prompt alone
      batches: (step) => (step % 2 === 0 ? correctionBatch(groups, vq, correction, step) : renderBatch(opts, vq, step)),
      onLog,
    },
    vq,
  );
}
