// Ranking data for DPO (METHOD.md section 3): K images per training prompt (never a test
// prompt) sampled at high temperature, each labelled yes/no by the detector under GenEval's
// rules, optionally scored by a judge, and the pairs built from them.
//
// Layout of a data folder:
//   meta.json              the settings the samples were made with (a rerun must match them)
//   samples/p00012.json    one record per prompt: its K samples' tokens, sampling orders, labels, judge scores
//   images/p00012-s3.png   the decoded samples
//   pairs.jsonl            plain DPO pairs; pairs-guided.jsonl with a judge (reward-guided)
//   pairs-render.jsonl     with renderPairs: self-play pairs, each "no" sample against a render (self-play.ts)
//   images/p00012-r0.png   their renders
//   stats.json             counts of the pairs files
// Resumable: a prompt's PNGs are written first, then its record, each atomically; a prompt
// counts as done when its record exists. Sampling is a pure function of (seed, prompt index),
// so a run killed at any point and restarted neither loses nor duplicates a sample, and the
// pairs files, rebuilt from the records at the end, are the same as an uninterrupted run's.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { evaluateImage } from "../geneval/rules.js";
import type { PromptMeta } from "../geneval/types.js";
import { generate } from "../generator/generate.js";
import { type Pipeline, decodeTokens, pathSeed } from "../generator/pipeline.js";
import { type SampleOptions, recordedSample } from "../generator/sampler.js";
import type { PathStep } from "../generator/step-generator.js";
import { collectionPrompts } from "../judges/collect.js";
import { type Judge, judgeId } from "../judges/judge.js";
import { detect } from "../shapes/detector.js";
import { type RGBImage, encodePng } from "../shapes/image.js";
import type { VQAutoencoder } from "../tokenizer/vq.js";
import { writeFileAtomic } from "../util/atomic.js";
import { InputError } from "../util/errors.js";
import { fileHash } from "../util/file-hash.js";
import { mapPool } from "../util/pool.js";
import { DEFAULT_TAU, type Pair, type PairStats, type RankedPrompt, type RankedSample, buildPairs, promptFileId, readPairs, writePairs } from "./pairs.js";
import { RENDER_PAIRS_FILE, type RenderPairStats, writeRenderPairs } from "./self-play.js";

/** Token draws at this softmax temperature by default: above the sampler's (DEFAULT_SAMPLE), for diverse pairs. */
export const RANK_TEMPERATURE = 1.3;

export interface RankOptions {
  out: string;
  prompts: number; // training prompts (the first `prompts` of collectionPrompts(seed))
  /** more prompts after those, of one tag each (tag balancing, balance.ts); none by default */
  extra?: PromptBlock[];
  samplesPerPrompt: number; // K
  seed: number; // which prompts
  /** the paths' seeds (default: seed); iterative rounds draw fresh paths for the same prompts */
  sampleSeed?: number;
  sample: SampleOptions; // steps, cfg, temperature of the draws
  pairsPerPrompt: number;
  /** the generator's weights file: recorded, so that a rerun with another model is refused */
  generator: string;
  /** scores every sample with the outcome question and writes pairs-guided.jsonl */
  judge?: Judge;
  tau?: number;
  /** also writes pairs-render.jsonl: each "no" sample against a ground-truth render (self-play DPO) */
  renderPairs?: boolean;
  /** the yes/no labeller: the detector under GenEval's rules unless given (tests script one) */
  label?: Labeller;
  onProgress?: (done: number, total: number) => void;
}

export type Labeller = (meta: PromptMeta, image: RGBImage) => { correct: boolean; reasons: string[] };

/** The labeller of training prompts: the detector read by GenEval's rules. */
export const detectorLabel: Labeller = (meta, image) => evaluateImage(meta, detect(image));

/** A run of extra prompts of one GenEval tag; the blocks of a tag continue that tag's own prompt stream. */
export interface PromptBlock {
  tag: string;
  count: number;
}

/** What meta.json holds: the settings that must not change between a run and its resumption. */
export interface RankMeta {
  seed: number;
  sampleSeed: number;
  samplesPerPrompt: number;
  sample: SampleOptions;
  generator: string;
  /** the generator file's content hash: a file retrained in place is another model (absent in folders made before it was kept) */
  generatorHash?: string;
  prompts: number; // the largest count asked for so far (a rerun may ask for more, until extra blocks follow them)
  pairsPerPrompt: number;
  /** tag-balanced prompts after the first `prompts` (absent: none) */
  extra?: PromptBlock[];
}

/** Prompts of a data folder in all: the collection's, then the extra blocks'. */
export const rankedCount = (m: Pick<RankMeta, "prompts" | "extra">): number => m.prompts + (m.extra ?? []).reduce((n, b) => n + b.count, 0);

/** The prompt list of a data folder: index i is record i's prompt. */
export function rankedPrompts(seed: number, prompts: number, extra: readonly PromptBlock[] = []): PromptMeta[] {
  const out = collectionPrompts(seed, prompts);
  const used = new Map<string, number>();
  for (const b of extra) {
    const from = used.get(b.tag) ?? 0;
    out.push(...collectionPrompts(seed, b.count, b.tag, from));
    used.set(b.tag, from + b.count);
  }
  return out;
}

export interface RankResult {
  stats: PairStats;
  guided?: PairStats;
  render?: RenderPairStats;
}

export const PAIRS_FILE = "pairs.jsonl";
export const GUIDED_PAIRS_FILE = "pairs-guided.jsonl";

/** Which pairs of a ranking folder: plain yes/no, reward-guided (judge-chosen, weighted) or self-play (render against "no"). */
export type PairsKind = "plain" | "guided" | "render";
const PAIRS_FILES: Record<PairsKind, string> = { plain: PAIRS_FILE, guided: GUIDED_PAIRS_FILE, render: RENDER_PAIRS_FILE };

/** A ranking folder's pairs of one kind. */
export function readDataPairs(dir: string, kind: PairsKind): Pair[] {
  const file = join(dir, PAIRS_FILES[kind]);
  if (kind === "render" && existsSync(join(dir, PAIRS_FILE)) && !existsSync(file))
    throw new InputError(`${dir} has no self-play pairs: rerun its 'imagecot data rank' command with --render-pairs (nothing is sampled again, but it loads the generator that sampled the folder)`);
  return readPairs(file);
}
export const recordFile = (dir: string, i: number) => join(dir, "samples", `p${promptFileId(i)}.json`);
const imageFile = (i: number, k: number) => `images/p${promptFileId(i)}-s${k}.png`;

/** The seed of prompt i's paths (path k then has pathSeed(promptSeed, k)). */
export function promptSeed(sampleSeed: number, i: number): number {
  return sampleSeed * 100_003 + i;
}

export function readRankMeta(dir: string): RankMeta | null {
  const f = join(dir, "meta.json");
  return existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as RankMeta) : null;
}

/** A data folder made with other settings than a rerun's. */
export class RankSettingsError extends Error {}

/** Claims `dir` for these settings and returns what it holds from now on: the prompts and extra blocks asked for so far. */
function checkMeta(dir: string, want: RankMeta): RankMeta {
  const have = readRankMeta(dir);
  let meta = want;
  if (have) {
    const fixed = (m: RankMeta) => JSON.stringify([m.seed, m.sampleSeed, m.samplesPerPrompt, m.sample, m.generator]);
    if (fixed(have) !== fixed(want))
      throw new RankSettingsError(
        `${dir} holds samples made with other settings (${JSON.stringify(have)}); use another --out or the same settings`,
      );
    if (have.generatorHash !== undefined && have.generatorHash !== want.generatorHash)
      throw new RankSettingsError(`${dir} holds samples of other weights at ${have.generator} (hash ${have.generatorHash}, now ${want.generatorHash ?? "no file"}); use another --out`);
    // extra blocks only grow at the end: the records' indices never move
    const [had, asked] = [have.extra ?? [], want.extra ?? []];
    const [shorter, longer] = had.length <= asked.length ? [had, asked] : [asked, had];
    if (JSON.stringify(longer.slice(0, shorter.length)) !== JSON.stringify(shorter))
      throw new RankSettingsError(`${dir} holds other tag-balanced prompts (${JSON.stringify(had)}) than asked (${JSON.stringify(asked)}); use another --out`);
    if (had.length > 0 && want.prompts > have.prompts)
      throw new RankSettingsError(`${dir} has tag-balanced prompts after its first ${have.prompts}: it cannot take more of those; use another --out`);
    meta = { ...want, prompts: Math.max(want.prompts, have.prompts), extra: longer.length > 0 ? longer : undefined };
  }
  writeFileAtomic(join(dir, "meta.json"), JSON.stringify(meta, null, 2) + "\n");
  return meta;
}

/** Each image's score by the judge, as a sample records it. */
async function scoreImages(judge: Judge, prompt: string, images: RGBImage[]): Promise<NonNullable<RankedSample["judge"]>[]> {
  const v = await judge.judge(images.map((image) => ({ question: "outcome", prompt, image })));
  return v.map((x) => ({ name: judge.name, id: judgeId(judge), pYes: x.pYes }));
}

/**
 * Prompt i's K samples, labelled (and scored), each with the step at which each of its positions
 * was fixed (its sampling order, which trajectory DPO replays): a pure function of the models,
 * the prompt and the seeds; nothing written.
 */
export async function rankPrompt(
  p: Pipeline,
  meta: PromptMeta,
  i: number,
  o: Pick<RankOptions, "sample" | "samplesPerPrompt" | "judge" | "label">,
  sampleSeed: number,
): Promise<{ record: RankedPrompt; images: RGBImage[] }> {
  const seed = promptSeed(sampleSeed, i);
  const [L, mask] = [p.generator.config.imageTokens, p.generator.maskId];
  const order = Array.from({ length: o.samplesPerPrompt }, () => new Array<number>(L).fill(-1));
  const onStep = (results: readonly PathStep[]) => {
    for (const r of results) {
      if (!r.tokens) throw new Error(`path ${r.path}'s step ${r.step} carries no fixed tokens`);
      const at = order[r.path];
      r.tokens.forEach((x, j) => {
        if (at[j] < 0 && x !== mask) at[j] = r.step;
      });
    }
  };
  const { paths } = await generate(p, meta.prompt, { ...o.sample, n: o.samplesPerPrompt, seed, onStep });
  if (order.some((at) => at.includes(-1))) throw new Error(`prompt ${i}: a sample ended with a position its steps never fixed`);
  const scores = o.judge ? await scoreImages(o.judge, meta.prompt, paths.map((x) => x.image)) : null;
  const samples = paths.map((x, k): RankedSample => {
    const verdict = (o.label ?? detectorLabel)(meta, x.image);
    const s: RankedSample = { sample: k, seed: pathSeed(seed, k), tokens: Array.from(x.tokens), order: order[x.id], correct: verdict.correct, reasons: verdict.reasons, image: imageFile(i, k) };
    if (scores) s.judge = scores[k];
    return s;
  });
  return { record: { index: i, seed, meta, samples }, images: paths.map((x) => x.image) };
}

/** Writes a prompt's sample PNGs (in sample order), then its record, which marks it done. */
export function writeRankedPrompt(out: string, record: RankedPrompt, pngs: readonly Uint8Array[]): void {
  record.samples.forEach((s, k) => writeFileAtomic(join(out, s.image), pngs[k]));
  writeFileAtomic(recordFile(out, record.index), JSON.stringify(record) + "\n");
}

/** The options that fix a data folder's samples. */
export type RankPlanOptions = Pick<RankOptions, "out" | "prompts" | "extra" | "samplesPerPrompt" | "seed" | "sampleSeed" | "sample" | "pairsPerPrompt" | "generator">;

/** Claims `out` for these settings (a folder made with others is refused) and lists the run's prompts. */
export function rankPlan(o: RankPlanOptions): { metas: PromptMeta[]; sampleSeed: number } {
  mkdirSync(join(o.out, "samples"), { recursive: true });
  const sampleSeed = o.sampleSeed ?? o.seed;
  const meta = checkMeta(o.out, {
    seed: o.seed,
    sampleSeed,
    samplesPerPrompt: o.samplesPerPrompt,
    sample: recordedSample(o.sample),
    generator: resolve(o.generator),
    generatorHash: fileHash(o.generator) ?? undefined,
    prompts: o.prompts,
    pairsPerPrompt: o.pairsPerPrompt,
    ...(o.extra && o.extra.length > 0 ? { extra: o.extra } : {}),
  });
  // a rerun asking for fewer prompts ranks (and pairs) only those; extra blocks recorded earlier stay
  const prompts = meta.extra ? meta.prompts : o.prompts;
  return { metas: rankedPrompts(o.seed, prompts, meta.extra), sampleSeed };
}

/** Samples, labels (and scores) what is missing under `out`, then rewrites the pairs files. */
export async function rankData(p: Pipeline, o: RankOptions): Promise<RankResult> {
  const { metas, sampleSeed } = rankPlan(o);
  // prompts in flight at once: with a batcher in the pipeline, their samples share forward passes
  const concurrency = Math.max(1, Math.floor((p.batcher?.maxRows ?? 0) / (2 * o.samplesPerPrompt)));
  const records = await mapPool(metas, concurrency, async (_, i) => {
    const file = recordFile(o.out, i);
    let rec: RankedPrompt;
    if (existsSync(file)) {
      rec = JSON.parse(readFileSync(file, "utf8")) as RankedPrompt;
      if (rec.meta.prompt !== metas[i].prompt) throw new Error(`${file} is for "${rec.meta.prompt}", expected "${metas[i].prompt}"`);
      const judge = o.judge;
      if (judge && rec.samples.some((s) => s.judge?.name !== judge.name || s.judge.id !== judgeId(judge))) {
        // a judge added on a rerun, or retrained since (or scored before ids were kept): score the stored samples
        const images = decodeTokens(p.tokenizer, rec.samples.map((s) => Int32Array.from(s.tokens)));
        const scores = await scoreImages(judge, rec.meta.prompt, images);
        rec.samples.forEach((s, k) => (s.judge = scores[k]));
        writeFileAtomic(file, JSON.stringify(rec) + "\n");
      }
    } else {
      const made = await rankPrompt(p, metas[i], i, o, sampleSeed);
      writeRankedPrompt(o.out, made.record, made.images.map(encodePng));
      rec = made.record;
    }
    return rec;
  }, (done) => o.onProgress?.(done, metas.length));
  // without a judge this time, scores stored by an earlier run still give the guided pairs
  // (one judge's, the same weights throughout: a re-scoring cut short leaves two)
  const stored = records[0]?.samples[0]?.judge;
  const scoredBy = stored !== undefined && records.every((r) => r.samples.every((s) => s.judge?.name === stored.name && s.judge.id === stored.id)) ? stored.name : undefined;
  const pairOptions = { perPrompt: o.pairsPerPrompt, seed: o.seed, judge: o.judge?.name ?? scoredBy, tau: o.tau ?? DEFAULT_TAU };
  // self-play pairs once written are kept in step with the records, as the guided ones are
  const render = o.renderPairs || existsSync(join(o.out, RENDER_PAIRS_FILE));
  return writeRankPairs(o.out, records, render ? { ...pairOptions, tokenizer: p.tokenizer } : pairOptions);
}

/** Rewrites pairs.jsonl (pairs-guided.jsonl with a judge, pairs-render.jsonl with a tokenizer for the renders) and stats.json from the records. */
export function writeRankPairs(dir: string, records: readonly RankedPrompt[], o: { perPrompt: number; seed: number; judge?: string; tau: number; tokenizer?: VQAutoencoder }): RankResult {
  const plain = buildPairs(records, { perPrompt: o.perPrompt, seed: o.seed });
  writePairs(join(dir, PAIRS_FILE), plain.pairs);
  const result: RankResult = { stats: plain.stats };
  if (o.judge) {
    const guided = buildPairs(records, { perPrompt: o.perPrompt, seed: o.seed, judge: o.judge, tau: o.tau });
    writePairs(join(dir, GUIDED_PAIRS_FILE), guided.pairs);
    result.guided = guided.stats;
  }
  if (o.tokenizer) result.render = writeRenderPairs(dir, records, o.tokenizer, { perPrompt: o.perPrompt, seed: o.seed });
  writeFileAtomic(join(dir, "stats.json"), JSON.stringify({ ...result, judge: o.judge ?? null, tau: o.judge ? o.tau : null }, null, 2) + "\n");
  return result;
}

/** The records of the first `count` prompts of a data folder (all of them by default). */
export function readRanked(dir: string, count = ((m) => (m ? rankedCount(m) : 0))(readRankMeta(dir))): RankedPrompt[] {
  const out: RankedPrompt[] = [];
  for (let i = 0; i < count; i++) {
    const f = recordFile(dir, i);
    if (existsSync(f)) out.push(JSON.parse(readFileSync(f, "utf8")) as RankedPrompt);
  }
  return out;
}
