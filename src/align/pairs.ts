// Preference pairs from ranked samples: a "yes" and a "no" image of the same prompt. Prompts
// whose samples all share one label give no pair (METHOD.md section 3). Pure functions of the
// ranked records, so a resumed ranking run writes the same pairs file as an uninterrupted one.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type { PromptMeta } from "../geneval/types.js";
import { writeFileAtomic } from "../util/atomic.js";
import { mulberry32 } from "../util/prng.js";

/** One sampled image of a ranked prompt. */
export interface RankedSample {
  sample: number; // index within its prompt, 0..K-1
  seed: number; // the path's seed (pathSeed(prompt seed, sample))
  tokens: number[]; // (imageTokens) the final token grid
  /** (imageTokens) the step (0-based) at which the sampler fixed each position: trajectory DPO reads the states it went through (absent in rankings made before it was kept) */
  order?: number[];
  correct: boolean; // the detector's yes/no under GenEval's rules
  reasons: string[]; // GenEval's failed checks, empty when correct
  image: string; // the PNG, relative to the data folder
  /** the judge's P("yes") for the outcome question, when the ranking asked one; `id` is the judge's weights (judgeId): a retrained judge scores again */
  judge?: { name: string; id?: string; pYes: number };
}

/** Every sample of one training prompt. */
export interface RankedPrompt {
  index: number; // position in the collection's prompt list
  seed: number; // the prompt's generation seed
  meta: PromptMeta;
  samples: RankedSample[];
}

/** One line of a pairs file. */
export interface Pair {
  prompt: string;
  chosen: string; // the "yes" image (PNG path relative to the data folder)
  rejected: string; // the "no" image
  prompt_index: number;
  tag: string;
  chosen_sample: number; // -1: a ground-truth render (self-play pairs, self-play.ts)
  rejected_sample: number;
  chosen_tokens: number[];
  rejected_tokens: number[];
  /** each image's sampling order (RankedSample.order), where the ranking kept it */
  chosen_order?: number[];
  rejected_order?: number[];
  /** reward-guided pairs only: the judge, its scores of both images, and the pair's loss weight */
  judge?: string;
  chosen_score?: number;
  rejected_score?: number;
  /** the pair's weight in the loss: 1 for plain DPO */
  weight: number;
}

export interface PairOptions {
  /** pairs per prompt at most (each prompt gives at most yes x no distinct pairs) */
  perPrompt: number;
  /** seeds the order in which a prompt's pairs are drawn */
  seed: number;
  /** reward-guided: pick and weight pairs by this judge's scores (every sample must have one) */
  judge?: string;
  /** temperature of the weight sigmoid((s_c - s_r) / tau) */
  tau?: number;
}

export interface PairStats {
  prompts: number;
  samples: number;
  yes_rate: number; // share of samples labelled yes
  all_yes: number; // prompts dropped: every sample yes
  all_no: number; // prompts dropped: every sample no
  mixed: number; // prompts that give pairs
  pairs: number;
  /** reward-guided: share of pairs where the judge also prefers the chosen image, and the weights */
  judge_agreement?: number;
  raw_weight_mean?: number;
  weight_min?: number;
  weight_max?: number;
}

export const DEFAULT_TAU = 0.1;

/** A prompt's part of a data folder's file names: p00012. */
export const promptFileId = (index: number) => String(index).padStart(5, "0");

/** The seeded stream from which a prompt's pairs are drawn (yes/no and self-play alike). */
export const pairRng = (seed: number, prompt: number) => mulberry32((seed * 1_000_003 + prompt) >>> 0);

/**
 * Reward-guided DPO, the scheme chosen here. The paper's public code adds a reward-model term
 * that is a constant of the policy, so it carries no gradient. Here the judge shapes the
 * gradient in two ways, both from its outcome P("yes") of each image (s_c for the chosen, s_r
 * for the rejected):
 *  1. choice: among a prompt's yes x no combinations, the pairs with the largest judge margin
 *     s_c - s_r are taken first (images not yet used are preferred, so one image does not
 *     serve every pair of its prompt);
 *  2. weight: each pair's loss is multiplied by w = sigmoid((s_c - s_r) / tau), normalised to
 *     mean 1 over the pairs file. d loss_i / d theta is scaled by w_i: pairs where the judge
 *     confirms the detector's preference count more; pairs it disputes (a detector miss, or a
 *     difference no reward model sees) count less. The mean of 1 keeps plain DPO's step size,
 *     so --lr means the same in both.
 * Plain DPO draws a prompt's pairs in a seeded random order and weighs every pair 1.
 */
export function buildPairs(prompts: readonly RankedPrompt[], o: PairOptions): { pairs: Pair[]; stats: PairStats } {
  const tau = o.tau ?? DEFAULT_TAU;
  const pairs: Pair[] = [];
  const raw: number[] = [];
  let allYes = 0;
  let allNo = 0;
  let samples = 0;
  let yes = 0;
  for (const p of [...prompts].sort((a, b) => a.index - b.index)) {
    samples += p.samples.length;
    const Y = p.samples.filter((s) => s.correct);
    const N = p.samples.filter((s) => !s.correct);
    yes += Y.length;
    if (N.length === 0) allYes++;
    else if (Y.length === 0) allNo++;
    if (Y.length === 0 || N.length === 0) continue;
    const score = (s: RankedSample) => {
      if (!o.judge) return 0;
      if (s.judge?.name !== o.judge) throw new Error(`prompt ${p.index} sample ${s.sample} has no score by the judge '${o.judge}'`);
      return s.judge.pYes;
    };
    const rng = pairRng(o.seed, p.index);
    // every combination, in a seeded random order (the tie-break)
    const combos = Y.flatMap((c) => N.map((r) => ({ c, r, margin: score(c) - score(r), order: rng() })));
    const usedC = new Map<number, number>();
    const usedR = new Map<number, number>();
    const left = combos.slice();
    for (let k = 0; k < o.perPrompt && left.length > 0; k++) {
      let best = 0;
      const key = (x: (typeof left)[number]) => [(usedC.get(x.c.sample) ?? 0) + (usedR.get(x.r.sample) ?? 0), -x.margin, x.order];
      for (let i = 1; i < left.length; i++) if (lexLess(key(left[i]), key(left[best]))) best = i;
      const { c, r, margin } = left.splice(best, 1)[0];
      usedC.set(c.sample, (usedC.get(c.sample) ?? 0) + 1);
      usedR.set(r.sample, (usedR.get(r.sample) ?? 0) + 1);
      const pair: Pair = {
        prompt: p.meta.prompt,
        chosen: c.image,
        rejected: r.image,
        prompt_index: p.index,
        tag: p.meta.tag,
        chosen_sample: c.sample,
        rejected_sample: r.sample,
        chosen_tokens: c.tokens,
        rejected_tokens: r.tokens,
        ...(c.order && r.order ? { chosen_order: c.order, rejected_order: r.order } : {}),
        weight: 1,
      };
      if (o.judge) {
        Object.assign(pair, { judge: o.judge, chosen_score: c.judge!.pYes, rejected_score: r.judge!.pYes });
        raw.push(sigmoid(margin / tau));
      }
      pairs.push(pair);
    }
  }
  const stats: PairStats = {
    prompts: prompts.length,
    samples,
    yes_rate: samples > 0 ? yes / samples : 0,
    all_yes: allYes,
    all_no: allNo,
    mixed: prompts.length - allYes - allNo,
    pairs: pairs.length,
  };
  if (o.judge && pairs.length > 0) {
    const mean = raw.reduce((a, b) => a + b, 0) / raw.length;
    pairs.forEach((p, i) => (p.weight = raw[i] / mean));
    const w = pairs.map((p) => p.weight);
    Object.assign(stats, {
      judge_agreement: pairs.filter((p) => p.chosen_score! > p.rejected_score!).length / pairs.length,
      raw_weight_mean: mean,
      weight_min: Math.min(...w),
      weight_max: Math.max(...w),
    });
  }
  return { pairs, stats };
}

function lexLess(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** A pairs list by content: a run resumed on other pairs (another scheme, the same count) is another run. */
export const pairsHash = (pairs: readonly Pair[]): string => createHash("sha256").update(JSON.stringify(pairs)).digest("hex").slice(0, 16);

export function writePairs(path: string, pairs: readonly Pair[]): void {
  writeFileAtomic(path, pairs.map((p) => JSON.stringify(p) + "\n").join(""));
}

export function readPairs(path: string): Pair[] {
  if (!existsSync(path)) throw new Error(`no pairs file at ${path} (write one with 'imagecot data rank')`);
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Pair);
}
