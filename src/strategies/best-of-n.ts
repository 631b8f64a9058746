// `best-of-n` (ORM): decode N full paths, ask the judge about each final image, keep the best.
import { conditioning, decodeTokens, pathSeed } from "../generator/pipeline.js";
import { PathBatch } from "../generator/sampler.js";
import { argmax, rejectedPaths, requireJudge } from "./common.js";
import { emitChosen, emitStep, emitVerdicts } from "./events.js";
import type { Strategy, StrategyResult } from "./strategy.js";

export const bestOfN: Strategy = {
  name: "best-of-n",
  description: "N full paths, the judge's outcome score picks the final image (ORM)",
  async run(ctx, prompt, seeds) {
    const judge = requireJudge(ctx, "best-of-n");
    const { generator, tokenizer } = ctx.pipeline;
    const out: StrategyResult[] = [];
    for (const seed of seeds) {
      const batch = new PathBatch(generator, conditioning(generator, prompt), ctx.sample, ctx.pipeline.batcher);
      for (let i = 0; i < ctx.n; i++) batch.start(i, pathSeed(seed, i));
      await ctx.onEvent?.({ type: "begin", paths: ctx.n, steps: ctx.sample.steps });
      while (!batch.done()) await emitStep(ctx.onEvent, tokenizer, await batch.step());
      const live = batch.live(); // every path: none is cut, so ids are indices
      const tokens = live.map((id) => batch.tokens(id));
      const images = decodeTokens(tokenizer, tokens);
      const verdicts = await judge.judge(images.map((image) => ({ question: "outcome" as const, prompt, image })));
      await emitVerdicts(ctx.onEvent, "outcome", live.map((path) => ({ path, step: null })), verdicts);
      const best = argmax(verdicts.map((v) => v.pYes));
      await emitChosen(ctx.onEvent, live[best], images[best]);
      const ends = live.map((id) => ({ id, cutAfter: null, potential: null }));
      out.push({
        image: images[best],
        tokens: tokens[best],
        nfe: batch.nfe,
        judgeCalls: verdicts.length,
        trace: { strategy: "best-of-n", seed, n: ctx.n, outcome: verdicts.map((v) => v.pYes), chosen: best },
        selection: { chosen: best, rejected: rejectedPaths(ends, best, (id) => verdicts[id].pYes, (ids) => ids.map((id) => images[id])) },
      });
    }
    return out;
  },
};
