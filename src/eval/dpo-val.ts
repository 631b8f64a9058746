// DPO's hyper-parameters chosen on held-out training prompts (never the test suite): every
// (lr, epochs, beta, nll weight, guidance, unconditional anchor, masks, mask floor) of a grid
// trains one round of DPO on the same pairs (all read under random masks, or all along their
// trajectories), from the same start, and is scored by the detector's yes rate on the held-out
// split (heldout.ts) beside the start's own, with its final pair accuracy from its training log.
// Each candidate resumes: its weights, once written, are reused, and its score, kept with the
// held-out settings it was made with, stands for it, so a killed validation continues where it
// stopped.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DPO_DEFAULTS, dpoSteps, trainDpo } from "../align/dpo.js";
import { type Pair, pairsHash } from "../align/pairs.js";
import type { SampleOptions } from "../generator/sampler.js";
import { disposePipeline, loadGenerator, loadPipeline } from "../models/load.js";
import { readTrainLog } from "../train/log.js";
import { type HeldOutResult, heldOutYesRate } from "./heldout.js";
import { writeFileAtomic } from "../util/atomic.js";
import { claimDir } from "../util/claim.js";
import { fileHash } from "../util/file-hash.js";

export interface DpoGrid {
  lr: number[];
  epochs: number[];
  beta: number[];
  nllWeight: number[];
  cfg: number[];
  uncondAnchor: number[];
  masks: number[];
  minMaskRatio: number[];
}

export interface DpoValOptions {
  runDir: string;
  generator: string; // the start: policy and reference of every candidate
  tokenizer: string;
  pairs: readonly Pair[];
  weighted: boolean;
  /** every candidate reads the images along their sampling trajectories (trajectory DPO) */
  trajectory: boolean;
  grid: DpoGrid;
  batch: number;
  seed: number;
  heldout: { prompts: number; images: number; seed: number; sample: SampleOptions };
  onStage?: (message: string) => void;
}

type GridPoint = { [K in keyof DpoGrid]: number };
/** the grid's dimensions, outermost first */
const DIMENSIONS: (keyof DpoGrid)[] = ["lr", "epochs", "beta", "nllWeight", "cfg", "uncondAnchor", "masks", "minMaskRatio"];

export interface DpoCandidate {
  lr: number;
  epochs: number;
  beta: number;
  nllWeight: number;
  cfg: number;
  uncondAnchor: number;
  masks: number;
  minMaskRatio: number;
  steps: number;
  weights: string; // where they were written: a resume from kept scores needs them no more
  /** the pairs' DPO accuracy over the last tenth of the run's logged steps (absent where its log is not kept) */
  trainAccuracy?: number;
  heldout: HeldOutResult;
}

export interface DpoValResult {
  pairs: number;
  trajectory: boolean;
  start: HeldOutResult;
  candidates: DpoCandidate[];
  /** the candidate with the highest held-out yes rate (the first on ties) */
  best: Omit<DpoCandidate, "heldout"> & { yes_rate: number };
}

// plain DPO's folders have no part for the later dimensions (as before those were in the grid)
const tag = (p: GridPoint) =>
  `lr${p.lr}-ep${p.epochs}-beta${p.beta}${p.nllWeight > 0 ? `-nll${p.nllWeight}` : ""}${p.cfg > 0 ? `-cfg${p.cfg}` : ""}${p.uncondAnchor > 0 ? `-anchor${p.uncondAnchor}` : ""}${p.masks > 1 ? `-masks${p.masks}` : ""}${p.minMaskRatio > 0 ? `-minmask${p.minMaskRatio}` : ""}`;

/**
 * What a held-out score depends on besides the weights it scores: the held-out settings and the
 * tokenizer, which decodes the images the detector reads. (The code that samples and scores is
 * not in it: a change to it is a new validation, in a new run folder.)
 */
const scoreKey = (o: DpoValOptions) => JSON.stringify({ ...o.heldout, tokenizer: fileHash(o.tokenizer) });

/**
 * A model's held-out score kept in `file`, if it was made with this key (an unreadable file is
 * none). The weights a file scores never change, since the run folder is claimed for what they
 * depend on; so a kept score stands for its candidate, whose weights a resume (even from an
 * archive of the scores alone) need not hold.
 */
function keptScore(file: string, key: string): HeldOutResult | null {
  try {
    const kept = JSON.parse(readFileSync(file, "utf8")) as { key: string; heldout: HeldOutResult };
    return kept.key === key ? kept.heldout : null;
  } catch {
    return null;
  }
}

/** The held-out yes rate of `weights`, kept in `file` with its key. */
async function score(weights: string, file: string, key: string, o: DpoValOptions): Promise<HeldOutResult> {
  const pipeline = loadPipeline(weights, o.tokenizer);
  try {
    const heldout = await heldOutYesRate(pipeline, o.heldout);
    writeFileAtomic(file, JSON.stringify({ key, heldout }, null, 2) + "\n");
    return heldout;
  } finally {
    disposePipeline(pipeline);
  }
}

/** How well a candidate's run separated its pairs by the end: the mean accuracy of the last tenth of its logged steps. */
function finalAccuracy(trainDir: string): { trainAccuracy?: number } {
  const log = readTrainLog(join(trainDir, "log.jsonl"));
  if (log.length === 0) return {};
  const tail = log.slice(-Math.ceil(log.length / 10));
  return { trainAccuracy: tail.reduce((a, e) => a + e.accuracy, 0) / tail.length };
}

/**
 * Claims the run folder for what its candidates depend on besides their grid point: the start,
 * the pairs, their weighting, the trajectory reading, the batch and the seed. A folder of other ones is refused, so a
 * candidate's weights are never reused for other data.
 */
function claimRunDir(o: DpoValOptions): void {
  const settings = {
    generator: fileHash(o.generator),
    pairs: pairsHash(o.pairs),
    weighted: o.weighted,
    ...(o.trajectory ? { trajectory: true } : {}), // absent when off: folders made before it was an option stay valid
    batch: o.batch,
    seed: o.seed,
  };
  claimDir(o.runDir, settings, { file: "settings.json", maker: "'bench dpo-val'", contents: "DPO candidates", flag: "--run-dir" });
}

export async function dpoValidation(o: DpoValOptions): Promise<DpoValResult> {
  if (o.pairs.length === 0) throw new Error("no pairs to validate DPO on");
  claimRunDir(o);
  const [key, startFile] = [scoreKey(o), join(o.runDir, "start-heldout.json")];
  o.onStage?.(`the start (${o.generator}) on ${o.heldout.prompts} held-out prompts`);
  const start = keptScore(startFile, key) ?? (await score(o.generator, startFile, key, o));
  const points = DIMENSIONS.reduce<Partial<GridPoint>[]>((acc, k) => acc.flatMap((p) => o.grid[k].map((v) => ({ ...p, [k]: v }))), [{}]) as GridPoint[];
  const candidates: DpoCandidate[] = [];
  for (const p of points) {
    const name = tag(p);
    const dir = join(o.runDir, name);
    const weights = join(dir, "generator.safetensors");
    const steps = dpoSteps(o.pairs.length, { epochs: p.epochs, batch: o.batch });
    const scoreFile = join(dir, "heldout.json");
    const kept = keptScore(scoreFile, key);
    if (kept) {
      candidates.push({ ...p, steps, weights, ...finalAccuracy(join(dir, "train")), heldout: kept });
      continue;
    }
    if (!existsSync(weights)) {
      o.onStage?.(`${name}: ${steps} DPO steps on ${o.pairs.length} pairs`);
      const policy = loadGenerator(o.generator);
      const reference = loadGenerator(o.generator);
      try {
        trainDpo({ ...DPO_DEFAULTS, ...p, runDir: join(dir, "train"), out: weights, batch: o.batch, seed: o.seed, weighted: o.weighted, trajectory: o.trajectory, metadata: { validation: o.runDir } }, policy, reference, o.pairs);
      } finally {
        policy.dispose();
        reference.dispose();
      }
    }
    o.onStage?.(`${name}: held-out yes rate`);
    candidates.push({ ...p, steps, weights, ...finalAccuracy(join(dir, "train")), heldout: await score(weights, scoreFile, key, o) });
  }
  const best = candidates.reduce((a, c) => (c.heldout.yes_rate > a.heldout.yes_rate ? c : a));
  const { heldout, ...settings } = best;
  return { pairs: o.pairs.length, trajectory: o.trajectory, start, candidates, best: { ...settings, yes_rate: heldout.yes_rate } };
}
