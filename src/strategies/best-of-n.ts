// `best-of-n` (ORM): decode N full paths, ask the judge about each final image, keep the best.
import { conditioning, decodeTokens, pathSeed } from "../generator/pipeline.js";
import { PathBatch } from "../generator/sampler.js";
import { argmax, requireJudge } from "./common.js";
import type { Strategy, StrategyResult } from "./strategy.js";

export const bestOfN: Strategy = {
  name: "best-of-n",
  description: "N full paths, the judge's outcome score picks the final image (ORM)",
  async run(ctx, prompt, seeds) {
    const judge = requireJudge(ctx, "best-of-n");
    const { generator, tokenizer } = ctx.pipeline;
    const out: StrategyResult[] = [];
    for (const seed of seeds) {
      const batch = new PathBatch(generator, conditioning(generator, prompt), ctx.sample);
      for (let i = 0; i < ctx.n; i++) batch.start(i, pathSeed(seed, i));
      while (!batch.done()) batch.step();
      const tokens = batch.live().map((id) => batch.tokens(id));
      const images = decodeTokens(tokenizer, tokens);
      const verdicts = await judge.judge(images.map((image) => ({ question: "outcome" as const, prompt, image })));
      const best = argmax(verdicts.map((v) => v.pYes));
      out.push({
        image: images[best],
        tokens: tokens[best],
        nfe: batch.nfe,
        judgeCalls: verdicts.length,
        trace: { strategy: "best-of-n", seed, n: ctx.n, outcome: verdicts.map((v) => v.pYes), chosen: best },
      });
    }
    return out;
  },
};
