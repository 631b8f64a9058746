// `none`: one decoding path per image, no verification (the baseline). The images of a
// prompt decode together as independent paths of one session.
import { pathSeed, withSession } from "../generator/step-generator.js";
import { emitChosen, emitStep } from "./events.js";
import type { Strategy } from "./strategy.js";

export const none: Strategy = {
  name: "none",
  description: "one path per image, no judge (the baseline)",
  async run(ctx, prompt, seeds) {
    if (seeds.length === 0) return [];
    return withSession(ctx.generator, prompt, { sample: ctx.sample }, async (s) => {
      // path 0 of each seed: the first of the N paths the choosing strategies decode, so comparisons are paired
      await s.start(seeds.map((seed, i) => ({ id: i, seed: pathSeed(seed, 0) })));
      await ctx.onEvent?.({ type: "begin", paths: seeds.length, steps: ctx.sample.steps });
      while (!s.done()) await emitStep(ctx.onEvent, s, await s.step());
      const finals = await s.finals(seeds.map((_, i) => i));
      for (const f of finals) await emitChosen(ctx.onEvent, f.path, f.image);
      return seeds.map((seed, i) => ({
        image: finals[i].image,
        tokens: finals[i].tokens,
        nfe: s.nfe / seeds.length,
        judgeCalls: 0,
        trace: { strategy: "none", seed },
      }));
    });
  },
};
