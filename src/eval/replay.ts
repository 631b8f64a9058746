// Replay (METHOD.md section 6): strategies that only select among or truncate the same N paths
// (none, best-of-n, parm) see identical paths, because every path owns its random stream. So
// one recorded run of N full paths - every step's prediction of every path - plus a judge's
// verdicts on them scores all of these strategies, each charged the generator passes and judge
// calls it would have spent live. test/eval/replay.test.ts compares replays with live runs.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync } from "node:fs";
import { join } from "node:path";
import { embeddedPipeline } from "../generator/embedded-steps.js";
import { type Pipeline, conditioning, decodeTokens, pathSeed } from "../generator/pipeline.js";
import { PathBatch, type SampleOptions, cfgHalves, recordedFlatPenalty } from "../generator/sampler.js";
import { type Judge, judgeId } from "../judges/judge.js";
import { type PathEnd, argmax, rejectedPaths } from "../strategies/common.js";
import { STRATEGIES } from "../strategies/index.js";
import { CLEAR_AT, KEEP_FROM, chooseSurvivor, clearBy, cutBy, fallbackPath, isClear, stoppedByBudget } from "../strategies/parm-rule.js";
import type { Strategy, StrategyContext, StrategyResult } from "../strategies/strategy.js";
import { writeFileAtomic } from "../util/atomic.js";
import { type Precision, precision } from "../util/precision.js";

/** Every step's full prediction of every path of one generation. */
export interface Recording {
  seed: number;
  n: number;
  steps: number;
  cfg: number; // the guidance it was decoded with: NFE counts one pass per CFG half
  /** the token and re-masking temperatures it was decoded with (absent in older recordings: made again) */
  temperature?: number;
  confidenceTemperature?: number;
  /** the flat-background penalty, where not 0 (Show-o's rule, what recordings without it were decoded with) */
  flatPenalty?: number;
  /** what it was decoded in (absent in recordings made before it was kept) */
  precision?: Precision;
  tokens: number; // per image
  /** (n, steps, tokens): path i's prediction after step t; t = steps - 1 is its final image */
  predictions: Uint16Array;
}

export function prediction(r: Recording, path: number, step: number): Int32Array {
  const o = (path * r.steps + step) * r.tokens;
  return Int32Array.from(r.predictions.subarray(o, o + r.tokens));
}

/** Decodes n full paths as one batch, keeping every step's prediction (what `none` and `best-of-n` decode). */
export async function recordPaths(p: Pipeline, prompt: string, seed: number, n: number, sample: SampleOptions): Promise<Recording> {
  const L = p.generator.config.imageTokens;
  const T = sample.steps;
  const predictions = new Uint16Array(n * T * L);
  const batch = new PathBatch(p.generator, conditioning(p.generator, prompt), sample, p.batcher);
  for (let i = 0; i < n; i++) batch.start(i, pathSeed(seed, i));
  while (!batch.done()) for (const r of await batch.step()) predictions.set(r.prediction, (r.path * T + r.step) * L);
  return { seed, n, steps: T, cfg: sample.cfg, temperature: sample.temperature, confidenceTemperature: sample.confidenceTemperature, flatPenalty: sample.flatPenalty, precision: precision(), tokens: L, predictions };
}

/**
 * A judge's answers about a recording: per path, the PARM questions its rule reads
 * (parm-rule.ts), and the outcome of every final. Files written before PARM's questions were
 * asked lazily hold every step before the last of both; they read the same (a superset), and
 * their `for` says so (see VerdictsFor).
 */
export interface RecordedVerdicts {
  /** (n, up to steps - 1): path i's clarity P(yes) from step 0 to its first clear step, or every step before the last when none is clear */
  clarity?: number[][];
  /** (n, up to steps - 1): potential[i][s] is path i's potential P(yes) at its first clear step s; earlier steps null, [] when never clear */
  potential?: (number | null)[][];
  outcome?: number[]; // (n)
}

/** A path's first clear step in its clarity answers, or -1: a full row and its lazy prefix agree. */
export const firstClear = (clarity: readonly number[], clearAt = CLEAR_AT): number => clarity.findIndex(clearBy(clearAt));

/**
 * PARM's questions as its rule reads them and as live PARM asks them: clarity at each step
 * from 0 until a path's first clear step (never at the last), potential at that step only, on
 * the image its clarity was asked of. The paths not yet clear are asked together a step at a
 * time, one decode and one judge call each. A path's later steps are never decoded or asked
 * ahead: on the shipped models an image costs about the same to decode or judge in batches of
 * 8 as of 192 (timed), so asking steps ahead would only add work.
 */
async function askParmQuestions(r: Recording, p: Pipeline, judge: Judge, prompt: string): Promise<Required<Pick<RecordedVerdicts, "clarity" | "potential">>> {
  const T = r.steps;
  const clarity = Array.from({ length: r.n }, () => [] as number[]);
  const potential = Array.from({ length: r.n }, () => [] as (number | null)[]);
  let open = Array.from({ length: r.n }, (_, i) => i);
  for (let t = 0; t < T - 1 && open.length > 0; t++) {
    const images = decodeTokens(p.tokenizer, open.map((i) => prediction(r, i, t)));
    const answers = (await judge.judge(images.map((image) => ({ question: "clarity" as const, prompt, image, step: t, steps: T })))).map((x) => x.pYes);
    open.forEach((i, k) => clarity[i].push(answers[k]));
    const clear = open.flatMap((_, k) => (isClear(answers[k]) ? [k] : []));
    if (clear.length > 0) {
      const asked = await judge.judge(clear.map((k) => ({ question: "potential" as const, prompt, image: images[k], step: t, steps: T })));
      clear.forEach((k, j) => (potential[open[k]] = [...Array<null>(t).fill(null), asked[j].pYes]));
    }
    open = open.filter((_, k) => !isClear(answers[k]));
  }
  return { clarity, potential };
}

/** Asks the judge what `need` lists and is not known yet. */
export async function completeVerdicts(
  r: Recording,
  p: Pipeline,
  judge: Judge,
  prompt: string,
  known: RecordedVerdicts,
  need: readonly (keyof RecordedVerdicts)[],
): Promise<RecordedVerdicts> {
  const v = { ...known };
  const T = r.steps;
  if (need.includes("outcome") && !v.outcome) {
    const images = decodeTokens(p.tokenizer, Array.from({ length: r.n }, (_, i) => prediction(r, i, T - 1)));
    v.outcome = (await judge.judge(images.map((image) => ({ question: "outcome" as const, prompt, image })))).map((x) => x.pYes);
  }
  // where potential is asked depends on the clarity answers: the two are asked together
  if ((["clarity", "potential"] as const).some((q) => need.includes(q) && !v[q])) Object.assign(v, await askParmQuestions(r, p, judge, prompt));
  return v;
}

/** Where a judge's verdicts on the recording of one generation seed are kept. */
export const verdictsFile = (dir: string, seed: number, judgeName: string): string => join(dir, `${seed}.${judgeName}.json`);

/**
 * The sampler settings a recording was decoded with: what a kept recording must match. Its flat
 * penalty as recorded, so that the keys of recordings and cached verdicts made before the
 * penalty existed read the same.
 */
function sampledWith(r: { steps: number; cfg: number; temperature?: number; confidenceTemperature?: number; flatPenalty?: number }) {
  return { steps: r.steps, cfg: r.cfg, temperature: r.temperature ?? null, confidenceTemperature: r.confidenceTemperature ?? null, ...recordedFlatPenalty(r.flatPenalty) };
}

/** A recording's settings and its number of paths: what the verdicts cached about it must match. */
function decodedWith(r: { n: number; steps: number; cfg: number; temperature?: number; confidenceTemperature?: number; flatPenalty?: number }) {
  return { n: r.n, ...sampledWith(r) };
}

/** The first n paths' verdicts: all that a live run with n paths is told. */
export function firstPaths(v: RecordedVerdicts, n: number): RecordedVerdicts {
  return { clarity: v.clarity?.slice(0, n), potential: v.potential?.slice(0, n), outcome: v.outcome?.slice(0, n) };
}

/**
 * What a verdicts file answers for: the recording's settings and the judge's id (weights by
 * content, or server and model); a recording made again with other settings is judged afresh.
 * `clearAt` marks a file whose PARM questions stop at each path's first clear step by that
 * threshold: under another threshold it would be incomplete, and a build that reads every step
 * sees another key and asks afresh. A file without it holds every step, right at any threshold.
 */
type VerdictsFor = ReturnType<typeof decodedWith> & { judge: string; clearAt?: number };

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** The keys a verdicts file may carry for this recording and judge id: every step's, or PARM's lazy one. */
function verdictsKeys(r: Omit<Recording, "predictions">, id: string): { full: VerdictsFor; lazy: VerdictsFor } {
  const full: VerdictsFor = { ...decodedWith(r), judge: id };
  return { full, lazy: { ...full, clearAt: CLEAR_AT } };
}

/**
 * What a verdicts file keeps for this recording and judge id, with its key; null where there is
 * no file or it answers for another recording (other N, T or sampler), another judge (retrained
 * weights, another server) or another clarity threshold: those are asked afresh.
 */
export function keptVerdicts(file: string, r: Omit<Recording, "predictions">, id: string): { verdicts: RecordedVerdicts; made: VerdictsFor } | null {
  return keptUnder(file, verdictsKeys(r, id));
}

function keptUnder(file: string, { full, lazy }: ReturnType<typeof verdictsKeys>): { verdicts: RecordedVerdicts; made: VerdictsFor } | null {
  if (!existsSync(file)) return null;
  const { for: made, ...verdicts } = JSON.parse(readFileSync(file, "utf8")) as RecordedVerdicts & { for?: VerdictsFor };
  return made && (sameJson(made, full) || sameJson(made, lazy)) ? { verdicts, made } : null;
}

/** completeVerdicts, cached beside the recording: what the kept file (keptVerdicts) lacks is asked and kept. */
export async function cachedVerdicts(
  dir: string,
  seed: number,
  judgeName: string,
  r: Recording,
  p: Pipeline,
  judge: Judge,
  prompt: string,
  need: readonly (keyof RecordedVerdicts)[],
): Promise<RecordedVerdicts> {
  const vfile = verdictsFile(dir, seed, judgeName);
  const keys = verdictsKeys(r, judgeId(judge));
  const { full, lazy } = keys;
  const { verdicts: known, made } = keptUnder(vfile, keys) ?? { verdicts: {}, made: undefined };
  const v = await completeVerdicts(r, p, judge, prompt, known, need);
  // the key says what the file holds: a file of every step keeps its key while only outcomes are added
  const form = v.clarity !== known.clarity || sameJson(made, lazy) ? lazy : full;
  if (!sameJson(made, form) || !sameJson(v, known)) writeFileAtomic(vfile, JSON.stringify({ ...v, for: form }) + "\n");
  return v;
}

export interface ReplayChoice {
  path: number;
  nfe: number;
  judgeCalls: number;
  trace: Record<string, unknown>;
  /** how each of the N paths ended, for strategies that choose among them (null for none) */
  ends: PathEnd[] | null;
}

/**
 * What `none`, `best-of-n` and `parm` would have chosen and spent, from the verdicts alone;
 * PARM's thresholds are the shipped ones unless given (other clarity thresholds need verdicts
 * of every step).
 */
export function replayChoice(strategy: ReplayableStrategy, n: number, T: number, cfgHalves: number, v: RecordedVerdicts, rule: { keepFrom?: number; clearAt?: number; maxSurvivors?: number } = {}): ReplayChoice {
  const perStep = cfgHalves; // one path, one step
  if (strategy === "none") return { path: 0, nfe: T * perStep, judgeCalls: 0, trace: { strategy }, ends: null };
  if (strategy === "best-of-n") {
    const k = argmax(v.outcome!);
    const ends = Array.from({ length: n }, (_, id) => ({ id, cutAfter: null, potential: null }));
    return { path: k, nfe: n * T * perStep, judgeCalls: n, trace: { strategy, n, outcome: v.outcome, chosen: k }, ends };
  }
  // parm: clarity at each step until the first clear one (never at the last), potential there;
  // the steps are replayed in order because the survivor budget stops paths at the step it fills
  const clearAt = rule.clearAt ?? CLEAR_AT;
  const keepFrom = rule.keepFrom ?? KEEP_FROM;
  const paths = Array.from({ length: n }, (_, i) => {
    const clear = firstClear(v.clarity![i], clearAt);
    const pYes = clear < 0 ? null : v.potential![i][clear];
    // what the rule reads must be there (a lazy file cut short would otherwise pass as never clear)
    if (clear < 0 ? v.clarity![i].length < T - 1 : typeof pYes !== "number") throw new Error(`the verdicts lack path ${i}'s ${clear < 0 ? "clarity at every step before the last" : `potential at its first clear step ${clear}`}`);
    return { id: i, clear, pYes, potential: null as { step: number; pYes: number } | null, cutAfter: null as number | null };
  });
  const cut: { id: number; step: number; pYes: number }[] = [];
  let judgeCalls = 0;
  let live = paths.map((p) => p.id);
  for (let t = 0; t < T - 1 && live.length > 0; t++) {
    const assessed = live.filter((i) => paths[i].potential === null);
    judgeCalls += assessed.length; // clarity
    const stopped: number[] = [];
    for (const i of assessed.filter((i) => paths[i].clear === t)) {
      const p = paths[i];
      p.potential = { step: t, pYes: p.pYes! };
      judgeCalls++;
      if (cutBy(keepFrom)(p.pYes!)) {
        p.cutAfter = t;
        cut.push({ id: i, step: t, pYes: p.pYes! });
        stopped.push(i);
      }
    }
    const going = live.filter((i) => !stopped.includes(i));
    const passed = going.flatMap((i) => (paths[i].potential ? [{ id: i, ...paths[i].potential! }] : []));
    const over = stoppedByBudget(going, passed, rule.maxSurvivors);
    for (const i of over) paths[i].cutAfter = t;
    stopped.push(...over);
    live = live.filter((i) => !stopped.includes(i));
  }
  let nfe = paths.reduce((a, p) => a + (p.cutAfter === null ? T : p.cutAfter + 1) * perStep, 0);
  // clarity was asked up to the step it was assessed, stopped, or the one before the last
  const trace = paths.map(({ id, potential, cutAfter }) => ({ id, clarity: v.clarity![id].slice(0, (potential?.step ?? cutAfter ?? T - 2) + 1), potential, cutAfter }));
  if (live.length > 0) {
    judgeCalls += live.length;
    const k = chooseSurvivor(live.map((id) => ({ id, outcome: v.outcome![id] }))).id;
    return { path: k, nfe, judgeCalls, trace: { strategy, n, paths: trace, outcome: live.map((id) => v.outcome![id]), chosen: k, via: "survivors" }, ends: trace };
  }
  const best = fallbackPath(cut);
  nfe += (T - best.step - 1) * perStep;
  return { path: best.id, nfe, judgeCalls, trace: { strategy, n, paths: trace, chosen: best.id, via: "fallback" }, ends: trace };
}

export const REPLAYABLE = ["none", "best-of-n", "parm"] as const;
export type ReplayableStrategy = (typeof REPLAYABLE)[number];
/** The verdicts each strategy reads: parm's are every question a replay asks. */
export const NEEDS: Record<ReplayableStrategy, (keyof RecordedVerdicts)[]> = { none: [], "best-of-n": ["outcome"], parm: ["clarity", "potential", "outcome"] };

/** Where the recording of one generation seed is kept. */
export const recordingFile = (dir: string, seed: number): string => join(dir, `${seed}.bin`);

export function writeRecording(file: string, r: Recording): void {
  const header = Buffer.from(JSON.stringify({ seed: r.seed, n: r.n, steps: r.steps, cfg: r.cfg, temperature: r.temperature, confidenceTemperature: r.confidenceTemperature, flatPenalty: r.flatPenalty, precision: r.precision, tokens: r.tokens }) + "\n");
  writeFileAtomic(file, Buffer.concat([header, Buffer.from(r.predictions.buffer, r.predictions.byteOffset, r.predictions.byteLength)]));
}

/** A recording file's first line (its settings) and where its predictions begin. */
function recordingHeader(buf: Buffer, file: string): { h: Omit<Recording, "predictions">; body: number } {
  const nl = buf.indexOf(10);
  if (nl < 0) throw new Error(`${file}: no recording header`);
  return { h: JSON.parse(buf.subarray(0, nl).toString("utf8")) as Omit<Recording, "predictions">, body: nl + 1 };
}

/** A recording's settings without its predictions (a status reads thousands of them). */
export function readRecordingHeader(file: string): Omit<Recording, "predictions"> {
  const fd = openSync(file, "r");
  try {
    const buf = Buffer.alloc(1024); // a header is about 150 bytes
    return recordingHeader(buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)), file).h;
  } finally {
    closeSync(fd);
  }
}

export function readRecording(file: string): Recording {
  const buf = readFileSync(file);
  const { h, body: at } = recordingHeader(buf, file);
  const body = buf.subarray(at);
  const predictions = new Uint16Array(body.byteLength / 2);
  new Uint8Array(predictions.buffer).set(body);
  return { ...h, predictions };
}

/**
 * The recording in `file` when it holds at least N paths decoded with these settings (steps,
 * guidance, temperatures); else it is made again. A live run with N paths decodes exactly paths
 * 0..N-1 of a larger recording (each path's stream depends on the seed and its index only), so
 * the test suite's one recording of 32 paths serves best-of-20 as well as the frontier.
 */
export function keptRecording(file: string, n: number, sample: SampleOptions): Recording | null {
  const kept = existsSync(file) ? readRecording(file) : null;
  return kept && kept.n >= n && JSON.stringify(sampledWith(kept)) === JSON.stringify(sampledWith(sample)) ? kept : null;
}

/** The recording of one generation seed; recorded (and kept) when missing or made with other settings. */
async function recorded(file: string, p: Pipeline, ctx: StrategyContext, prompt: string, seed: number): Promise<Recording> {
  const kept = keptRecording(file, ctx.n, ctx.sample);
  if (kept) return kept;
  const r = await recordPaths(p, prompt, seed, ctx.n, ctx.sample);
  writeRecording(file, r);
  return r;
}

/**
 * A strategy that replays from recordings under `dir`, recording what is missing (resumable:
 * one file per generation seed, verdicts cached per judge beside it).
 */
export function replayStrategy(name: ReplayableStrategy, dir: string, judgeName: string | null): Strategy {
  return {
    name,
    description: `${name}, replayed from recorded paths in ${dir}`,
    // the live strategy's rule: a replay chooses as it does
    ...(STRATEGIES[name].rule ? { rule: STRATEGIES[name].rule } : {}),
    async run(ctx, prompt, seeds) {
      const pipeline = embeddedPipeline(ctx.generator, "replay");
      mkdirSync(dir, { recursive: true });
      const out: StrategyResult[] = [];
      // the seeds' missing recordings decode concurrently: with a batcher, in shared passes
      const recordings = await Promise.all(seeds.map((seed) => recorded(recordingFile(dir, seed), pipeline, ctx, prompt, seed)));
      for (const [k, seed] of seeds.entries()) {
        const r = recordings[k];
        let v: RecordedVerdicts = {};
        if (NEEDS[name].length > 0) {
          if (!ctx.judge || !judgeName) throw new Error(`strategy '${name}' needs a judge (--judge)`);
          // every recorded path is judged, so one cache serves every N read from the recording
          v = firstPaths(await cachedVerdicts(dir, seed, judgeName, r, pipeline, ctx.judge, prompt, NEEDS[name]), ctx.n);
        }
        const c = replayChoice(name, ctx.n, r.steps, cfgHalves(r.cfg), v);
        const final = (id: number) => prediction(r, id, r.steps - 1);
        const tokens = final(c.path);
        // the paths live decoding would have finished have their final image in the recording
        const selection = c.ends ? { chosen: c.path, rejected: rejectedPaths(c.ends, c.path, (id) => v.outcome![id], (ids) => decodeTokens(pipeline.tokenizer, ids.map(final))) } : undefined;
        out.push({ image: decodeTokens(pipeline.tokenizer, [tokens])[0], tokens, nfe: c.nfe, judgeCalls: c.judgeCalls, trace: { ...c.trace, seed, replayed: true }, selection, precision: r.precision ?? null });
      }
      return out;
    },
  };
}
