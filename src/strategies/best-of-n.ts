// `best-of-n` (ORM): decode N full paths, ask the judge about each final image, keep the best.
import { pathSeed, withSession } from "../generator/step-generator.js";
import { argmax, rejectedPaths, requireJudge } from "./common.js";
import { emitChosen, emitStep, emitVerdicts } from "./events.js";
import type { Strategy, StrategyResult } from "./strategy.js";

export const bestOfN: Strategy = {
  name: "best-of-n",
  description: "N full paths, the judge's outcome score picks the final image (ORM)",
  async run(ctx, prompt, seeds) {
    const judge = requireJudge(ctx, "best-of-n");
    const out: StrategyResult[] = [];
    for (const seed of seeds) {
      const r = await withSession(ctx.generator, prompt, { sample: ctx.sample }, async (s): Promise<StrategyResult> => {
        await s.start(Array.from({ length: ctx.n }, (_, i) => ({ id: i, seed: pathSeed(seed, i) })));
        await ctx.onEvent?.({ type: "begin", paths: ctx.n, steps: ctx.sample.steps });
        while (!s.done()) await emitStep(ctx.onEvent, s, await s.step());
        const live = s.live(); // every path: none is cut, so ids are indices
        const finals = await s.finals(live);
        const verdicts = await judge.judge(finals.map(({ image }) => ({ question: "outcome" as const, prompt, image })));
        await emitVerdicts(ctx.onEvent, "outcome", live.map((path) => ({ path, step: null })), verdicts);
        const best = argmax(verdicts.map((v) => v.pYes));
        await emitChosen(ctx.onEvent, live[best], finals[best].image);
        const ends = live.map((id) => ({ id, cutAfter: null, potential: null }));
        return {
          image: finals[best].image,
          tokens: finals[best].tokens,
          nfe: s.nfe,
          judgeCalls: verdicts.length,
          trace: { strategy: "best-of-n", seed, n: ctx.n, outcome: verdicts.map((v) => v.pYes), chosen: best },
          selection: { chosen: best, rejected: rejectedPaths(ends, best, (id) => verdicts[id].pYes, (ids) => ids.map((id) => finals[id].image)) },
        };
      });
      out.push(r);
    }
    return out;
  },
};
