// `parm`: N paths decode together. At each step a path not yet assessed is asked whether its
// intermediate image is clear enough to judge; at its first clear step, whether it can still
// end well - a "no" truncates it at once, so its remaining steps cost nothing. Once enough
// paths have passed (parm-rule.ts: the survivor budget), the best of them by potential go on
// and every other path stops. Among the survivors the outcome score picks the image; if none
// survive, the path with the lowest P(no) on potential is finished and kept.
import type { RGBImage } from "../shapes/image.js";
import { type PathRef, type StepSession, pathSeed, withSession } from "../generator/step-generator.js";
import type { Judge } from "../judges/judge.js";
import { rejectedPaths, requireJudge } from "./common.js";
import { PARM_RULE, chooseSurvivor, fallbackPath, isClear, isCut, stoppedByBudget } from "./parm-rule.js";
import { type EventSink, emitChosen, emitStep, emitStepImages, emitVerdicts } from "./events.js";
import type { RejectedPath, Strategy, StrategyResult } from "./strategy.js";

export interface PathTrace {
  id: number;
  seed: number;
  /** P(yes) of the clarity question at each step it was asked */
  clarity: { step: number; pYes: number }[];
  /** the potential question, asked at the first clear step */
  potential: { step: number; pYes: number } | null;
  /** the step after which the path was cut (by its potential, or stopped by the survivor budget), or null if it ran to the end */
  cutAfter: number | null;
  outcome: number | null;
}

export interface ParmRun {
  image: RGBImage;
  tokens?: Int32Array;
  nfe: number;
  judgeCalls: number;
  paths: PathTrace[];
  /** the chosen path, live and finished in the session (PARM++ corrects from it) */
  chosen: number;
  /** how the image was chosen: among survivors, or the best cut path finished as a fallback */
  via: "survivors" | "fallback";
  /** every other path: survivors with their final image, cut ones without */
  rejected: RejectedPath[];
}

/** One PARM selection for one image, in a fresh session (plain or self-correcting) that the caller opened. */
export async function runParm(s: StepSession, judge: Judge, prompt: string, n: number, seed: number, onEvent?: EventSink): Promise<ParmRun> {
  const T = s.steps;
  const traces: PathTrace[] = Array.from({ length: n }, (_, i) => ({ id: i, seed: pathSeed(seed, i), clarity: [], potential: null, cutAfter: null, outcome: null }));
  await s.start(traces.map((t) => ({ id: t.id, seed: t.seed })));
  await onEvent?.({ type: "begin", paths: n, steps: T });
  const cut: { id: number; step: number; pYes: number; ref: PathRef }[] = [];
  let judgeCalls = 0;
  while (!s.done()) {
    const results = await s.step();
    const pending = results.filter((r) => traces[r.path].potential === null && r.step < T - 1);
    // a watched run decodes every prediction once, for the watcher and the judge alike
    const shown = onEvent && results.length > 0 ? await s.images(results) : null;
    await emitStepImages(onEvent, results, shown ?? []);
    if (pending.length === 0) continue;
    const images = shown ? pending.map((r) => shown[results.indexOf(r)]) : await s.images(pending);
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
    for (const [k, { r }] of clear.entries()) {
      traces[r.path].potential = { step: r.step, pYes: potential[k].pYes };
      if (isCut(potential[k].pYes)) {
        traces[r.path].cutAfter = r.step;
        cut.push({ id: r.path, step: r.step, pYes: potential[k].pYes, ref: await s.save(r.path) });
        drop.push(r.path);
      }
    }
    // the survivor budget: once it is full, every other path stops at this step
    const live = s.live().filter((id) => !drop.includes(id));
    const passed = live.flatMap((id) => (traces[id].potential ? [{ id, ...traces[id].potential! }] : []));
    const over = stoppedByBudget(live, passed);
    for (const id of over) traces[id].cutAfter = results[0].step;
    drop.push(...over);
    for (const path of drop) await onEvent?.({ type: "cut", path, step: traces[path].cutAfter! });
    if (drop.length > 0) await s.truncate(drop);
  }

  const survivors = s.live();
  if (survivors.length > 0) {
    const finals = await s.finals(survivors);
    const outcome = await judge.judge(finals.map(({ image }) => ({ question: "outcome" as const, prompt, image })));
    judgeCalls += outcome.length;
    survivors.forEach((id, k) => (traces[id].outcome = outcome[k].pYes));
    await emitVerdicts(onEvent, "outcome", survivors.map((path) => ({ path, step: null })), outcome);
    const k = chooseSurvivor(outcome.map((v, i) => ({ i, outcome: v.pYes }))).i;
    await emitChosen(onEvent, survivors[k], finals[k].image, "survivors");
    const final = (id: number) => finals[survivors.indexOf(id)].image;
    const rejected = rejectedPaths(traces, survivors[k], (id) => traces[id].outcome!, (ids) => ids.map(final));
    return { image: finals[k].image, tokens: finals[k].tokens, nfe: s.nfe, judgeCalls, paths: traces, chosen: survivors[k], via: "survivors", rejected };
  }
  // every path was cut: finish the one whose potential answer had the lowest P(no)
  const best = fallbackPath(cut);
  await s.resume(best.ref, best.id);
  while (!s.done()) await emitStep(onEvent, s, await s.step());
  const [final] = await s.finals([best.id]);
  await emitChosen(onEvent, best.id, final.image, "fallback");
  return {
    image: final.image,
    tokens: final.tokens,
    nfe: s.nfe,
    judgeCalls,
    paths: traces,
    chosen: best.id,
    via: "fallback",
    rejected: rejectedPaths(traces, best.id, (id) => traces[id].outcome!, () => []), // every other path was cut: no final image
  };
}

export const parm: Strategy = {
  name: "parm",
  rule: PARM_RULE,
  description: "clarity, then potential at the first clear step (a no cuts the path), then best-of-N' among survivors",
  async run(ctx, prompt, seeds) {
    const judge = requireJudge(ctx, "parm");
    const out: StrategyResult[] = [];
    for (const seed of seeds) {
      const r = await withSession(ctx.generator, prompt, { sample: ctx.sample }, (s) => runParm(s, judge, prompt, ctx.n, seed, ctx.onEvent));
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
