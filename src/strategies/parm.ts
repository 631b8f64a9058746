// `parm`: N paths decode together. At each step a path not yet assessed is asked whether its
// intermediate image is clear enough to judge; at its first clear step, whether it can still
// end well - a "no" truncates it at once, so its remaining steps cost nothing. Among the
// survivors the outcome score picks the image; if none survive, the path with the lowest
// P(no) on potential is finished and kept.
import type { RGBImage } from "../shapes/image.js";
import { type Pipeline, conditioning, decodeTokens, pathSeed } from "../generator/pipeline.js";
import { type Conditioning, PathBatch, type PathState, type SampleOptions } from "../generator/sampler.js";
import type { Judge } from "../judges/judge.js";
import { rejectedPaths, requireJudge } from "./common.js";
import { chooseSurvivor, fallbackPath, isClear, isCut } from "./parm-rule.js";
import { type EventSink, emitChosen, emitStep, emitVerdicts } from "./events.js";
import type { RejectedPath, Strategy, StrategyResult } from "./strategy.js";

export interface PathTrace {
  id: number;
  seed: number;
  /** P(yes) of the clarity question at each step it was asked */
  clarity: { step: number; pYes: number }[];
  /** the potential question, asked at the first clear step */
  potential: { step: number; pYes: number } | null;
  /** the step after which the path was cut, or null if it ran to the end */
  cutAfter: number | null;
  outcome: number | null;
}

export interface ParmRun {
  image: RGBImage;
  tokens: Int32Array;
  nfe: number;
  judgeCalls: number;
  paths: PathTrace[];
  chosen: number;
  /** how the image was chosen: among survivors, or the best cut path finished as a fallback */
  via: "survivors" | "fallback";
  /** every other path: survivors with their final image, cut ones without */
  rejected: RejectedPath[];
}

/** One PARM selection for one image under the given conditioning (plain or self-correcting). */
export async function runParm(
  p: Pipeline,
  judge: Judge,
  cond: Conditioning,
  prompt: string,
  n: number,
  seed: number,
  sample: SampleOptions,
  onEvent?: EventSink,
): Promise<ParmRun> {
  const T = sample.steps;
  const batch = new PathBatch(p.generator, cond, sample, p.batcher);
  const traces: PathTrace[] = [];
  for (let i = 0; i < n; i++) {
    batch.start(i, pathSeed(seed, i));
    traces.push({ id: i, seed: pathSeed(seed, i), clarity: [], potential: null, cutAfter: null, outcome: null });
  }
  await onEvent?.({ type: "begin", paths: n, steps: T });
  const cut: { state: PathState; pYes: number }[] = [];
  let judgeCalls = 0;
  while (!batch.done()) {
    const results = await batch.step();
    await emitStep(onEvent, p.tokenizer, results);
    const pending = results.filter((r) => traces[r.path].potential === null && r.step < T - 1);
    if (pending.length === 0) continue;
    const images = decodeTokens(p.tokenizer, pending.map((r) => r.prediction));
    const clarity = await judge.judge(pending.map((r, k) => ({ question: "clarity" as const, prompt, image: images[k], step: r.step, steps: T })));
    judgeCalls += clarity.length;
    await emitVerdicts(onEvent, "clarity", pending.map((r) => ({ path: r.path, step: r.step })), clarity);
    const clear = pending.flatMap((r, k) => {
      traces[r.path].clarity.push({ step: r.step, pYes: clarity[k].pYes });
      return isClear(clarity[k].pYes) ? [{ r, image: images[k] }] : [];
    });
    if (clear.length === 0) continue;
    const potential = await judge.judge(clear.map(({ r, image }) => ({ question: "potential" as const, prompt, image, step: r.step, steps: T })));
    judgeCalls += potential.length;
    await emitVerdicts(onEvent, "potential", clear.map(({ r }) => ({ path: r.path, step: r.step })), potential);
    const drop: number[] = [];
    clear.forEach(({ r }, k) => {
      traces[r.path].potential = { step: r.step, pYes: potential[k].pYes };
      if (isCut(potential[k].pYes)) {
        traces[r.path].cutAfter = r.step;
        cut.push({ state: batch.save(r.path), pYes: potential[k].pYes });
        drop.push(r.path);
      }
    });
    for (const path of drop) await onEvent?.({ type: "cut", path, step: traces[path].cutAfter! });
    batch.truncate(drop);
  }

  const survivors = batch.live();
  if (survivors.length > 0) {
    const tokens = survivors.map((id) => batch.tokens(id));
    const images = decodeTokens(p.tokenizer, tokens);
    const outcome = await judge.judge(images.map((image) => ({ question: "outcome" as const, prompt, image })));
    judgeCalls += outcome.length;
    survivors.forEach((id, k) => (traces[id].outcome = outcome[k].pYes));
    await emitVerdicts(onEvent, "outcome", survivors.map((path) => ({ path, step: null })), outcome);
    const k = chooseSurvivor(outcome.map((v, i) => ({ i, outcome: v.pYes }))).i;
    await emitChosen(onEvent, survivors[k], images[k], "survivors");
    const final = (id: number) => images[survivors.indexOf(id)];
    const rejected = rejectedPaths(traces, survivors[k], (id) => traces[id].outcome!, (ids) => ids.map(final));
    return { image: images[k], tokens: tokens[k], nfe: batch.nfe, judgeCalls, paths: traces, chosen: survivors[k], via: "survivors", rejected };
  }
  // every path was cut: finish the one whose potential answer had the lowest P(no)
  const best = fallbackPath(cut.map((c) => ({ id: c.state.id, step: c.state.step, pYes: c.pYes, state: c.state }))).state;
  const rescue = new PathBatch(p.generator, cond, sample, p.batcher);
  rescue.resume(best);
  while (!rescue.done()) await emitStep(onEvent, p.tokenizer, await rescue.step());
  const tokens = rescue.tokens(best.id);
  const image = decodeTokens(p.tokenizer, [tokens])[0];
  await emitChosen(onEvent, best.id, image, "fallback");
  return {
    image,
    tokens,
    nfe: batch.nfe + rescue.nfe,
    judgeCalls,
    paths: traces,
    chosen: best.id,
    via: "fallback",
    rejected: rejectedPaths(traces, best.id, (id) => traces[id].outcome!, () => []), // every other path was cut: no final image
  };
}

export const parm: Strategy = {
  name: "parm",
  description: "clarity, then potential at the first clear step (a no cuts the path), then best-of-N' among survivors",
  async run(ctx, prompt, seeds) {
    const judge = requireJudge(ctx, "parm");
    const cond = conditioning(ctx.pipeline.generator, prompt);
    const out: StrategyResult[] = [];
    for (const seed of seeds) {
      const r = await runParm(ctx.pipeline, judge, cond, prompt, ctx.n, seed, ctx.sample, ctx.onEvent);
      out.push({
        image: r.image,
        tokens: r.tokens,
        nfe: r.nfe,
        judgeCalls: r.judgeCalls,
        trace: { strategy: "parm", seed, n: ctx.n, paths: r.paths, chosen: r.chosen, via: r.via },
        selection: { chosen: r.chosen, rejected: r.rejected },
      });
    }
    return out;
  },
};
