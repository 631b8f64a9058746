// Tag-balanced ranking data: a round's pairs must teach every GenEval tag, but the weak tags
// (counting, position, colour attribution) have low yes rates, so few of their prompts have
// both a right and a wrong sample. After ranking the collection's prompts, each tag short of its
// share of the pairs gets more prompts of its own, as many as its pairs per prompt so far say it
// needs, stage after stage until every tag holds its share and the round its pairs (or the
// stages run out: the report says which tag missed). Each stage's blocks are a pure function of
// the records before it, and recorded in meta.json, so a killed run resumes to the same data.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readMetadataFile } from "../geneval/metadata.js";
import type { Pipeline } from "../generator/pipeline.js";
import { TEST_SUITE_FILE, createTrainPromptSampler } from "../shapes/train-prompts.js";
import { writeFileAtomic } from "../util/atomic.js";
import { type Pair, type RankedPrompt, buildPairs } from "./pairs.js";
import { type PromptBlock, type RankOptions, type RankResult, rankData, rankedCount, readRanked } from "./rank.js";

export interface TagBalance {
  /** pairs the round needs in all */
  pairs: number;
  /** share of the pairs every tag must hold */
  minShare: number;
  /** stages of extra prompts at most */
  maxStages: number;
  /** extra prompts one tag may get in one stage at most (a tag with no pair yet gets this many) */
  maxBlock: number;
}

export const DEFAULT_BALANCE: Omit<TagBalance, "pairs"> = { minShare: 0.1, maxStages: 4, maxBlock: 4000 };

export interface TagCount {
  prompts: number;
  pairs: number;
}

/** Per tag: the prompts ranked and the pairs they gave. */
export function tagCounts(records: readonly RankedPrompt[], pairs: readonly Pair[], tags: readonly string[]): Map<string, TagCount> {
  const out = new Map(tags.map((t) => [t, { prompts: 0, pairs: 0 }]));
  for (const r of records) {
    const c = out.get(r.meta.tag);
    if (c) c.prompts++;
  }
  for (const p of pairs) {
    const c = out.get(p.tag);
    if (c) c.pairs++;
  }
  return out;
}

/**
 * The next stage's extra prompts: for each tag below its share of the larger of the target and
 * the pairs so far, enough prompts to reach that share (with a tenth to spare) at the tag's
 * pairs per prompt so far; then, if the round is still short of its pairs, more for every tag in
 * proportion. Empty when nothing is missing.
 */
export function nextBlocks(counts: ReadonlyMap<string, TagCount>, b: TagBalance): PromptBlock[] {
  const total = [...counts.values()].reduce((n, c) => n + c.pairs, 0);
  const quota = Math.ceil(b.minShare * Math.max(b.pairs, total));
  const perPrompt = (c: TagCount) => (c.pairs > 0 ? c.pairs / c.prompts : 0);
  const promptsFor = (c: TagCount, pairs: number) => Math.min(b.maxBlock, perPrompt(c) > 0 ? Math.ceil((1.1 * pairs) / perPrompt(c)) : b.maxBlock);
  const blocks = new Map<string, number>();
  let projected = total;
  for (const [tag, c] of counts)
    if (c.pairs < quota) {
      const n = promptsFor(c, quota - c.pairs);
      blocks.set(tag, n);
      projected += Math.min(quota - c.pairs, n * perPrompt(c));
    }
  if (projected < b.pairs) {
    const each = (b.pairs - projected) / counts.size;
    for (const [tag, c] of counts) blocks.set(tag, Math.min(b.maxBlock, (blocks.get(tag) ?? 0) + promptsFor(c, each)));
  }
  return [...blocks].filter(([, n]) => n > 0).map(([tag, count]) => ({ tag, count }));
}

export interface BalanceReport {
  /** the balance asked for: a later round that ranks "as this folder was ranked" reads it back */
  settings: TagBalance;
  stages: PromptBlock[][];
  by_tag: Record<string, TagCount & { share: number }>;
  pairs: number;
  /** every tag holds its share and the round its pairs */
  met: boolean;
}

/**
 * Ranks (through `rank`: what is missing of the collection's prompts and the extra blocks
 * given, then the pairs rewritten) until the balance holds or the stages run out. Stage k's
 * blocks are computed from the records of the prompts before them only (`read`), so a resumed
 * run, whose folder already holds later stages, plans the same stages again.
 */
export async function rankBalanced(
  b: TagBalance,
  tags: readonly string[],
  rank: (extra: PromptBlock[]) => Promise<RankResult>,
  read: (extra: PromptBlock[]) => { records: RankedPrompt[]; pairs: Pair[] },
  onStage?: (stage: number, blocks: PromptBlock[]) => void,
): Promise<BalanceReport & { result: RankResult }> {
  let extra: PromptBlock[] = [];
  const stages: PromptBlock[][] = [];
  for (let stage = 0; ; stage++) {
    const result = await rank(extra);
    const { records, pairs } = read(extra);
    const counts = tagCounts(records, pairs, tags);
    const next = stage < b.maxStages ? nextBlocks(counts, b) : [];
    if (next.length === 0) {
      const total = pairs.length;
      const by_tag = Object.fromEntries([...counts].map(([t, c]) => [t, { ...c, share: total > 0 ? c.pairs / total : 0 }]));
      const met = total >= b.pairs && [...counts.values()].every((c) => c.pairs >= b.minShare * total);
      return { settings: b, stages, by_tag, pairs: total, met, result };
    }
    stages.push(next);
    onStage?.(stage + 1, next);
    extra = [...extra, ...next];
  }
}

export const BALANCE_FILE = "balance.json";

/** A data folder's balance report (written by rankDataBalanced), null when it was not balanced. */
export function readBalance(dir: string): BalanceReport | null {
  const f = join(dir, BALANCE_FILE);
  return existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as BalanceReport) : null;
}

export interface BalancedRankOptions extends Omit<RankOptions, "extra"> {
  /** tag balancing; without it the plan's prompts only, as rankData ranks them */
  balance?: TagBalance;
  /** runs first for each stage's prompts (the queue's workers sample them; rankData then finds their records) */
  before?: (extra: PromptBlock[]) => Promise<void>;
  /** one line per stage of extra prompts */
  onStage?: (message: string) => void;
}

/**
 * The ranking of `data rank` and of every round of `train dpo`: rankData over the plan's prompts
 * and, with a balance, over the extra blocks of each stage (rankBalanced), then the report
 * written to balance.json. Resumes as rankData and rankBalanced do.
 */
export async function rankDataBalanced(p: Pipeline, o: BalancedRankOptions): Promise<RankResult & { balance?: BalanceReport }> {
  const { balance, before, onStage, ...rank } = o;
  const rankExtra = async (extra: PromptBlock[]) => {
    await before?.(extra);
    return rankData(p, { ...rank, extra });
  };
  if (!balance) return rankExtra([]);
  const tags = createTrainPromptSampler(readMetadataFile(TEST_SUITE_FILE)).tags;
  const read = (extra: PromptBlock[]) => {
    const records = readRanked(o.out, rankedCount({ prompts: o.prompts, extra }));
    return { records, pairs: buildPairs(records, { perPrompt: o.pairsPerPrompt, seed: o.seed }).pairs };
  };
  const { result, ...report } = await rankBalanced(balance, tags, rankExtra, read, (stage, blocks) =>
    onStage?.(`stage ${stage}: more prompts for ${blocks.map((x) => `${x.tag} (${x.count})`).join(", ")}`),
  );
  writeFileAtomic(join(o.out, BALANCE_FILE), JSON.stringify(report, null, 2) + "\n");
  return { ...result, balance: report };
}
