// `none`: one decoding path per image, no verification (the baseline). The images of a
// prompt decode together as independent paths of one batch.
import { conditioning, decodeTokens, pathSeed } from "../generator/pipeline.js";
import { PathBatch } from "../generator/sampler.js";
import { emitChosen, emitStep } from "./events.js";
import type { Strategy } from "./strategy.js";

export const none: Strategy = {
  name: "none",
  description: "one path per image, no judge (the baseline)",
  async run(ctx, prompt, seeds) {
    const { generator, tokenizer } = ctx.pipeline;
    const batch = new PathBatch(generator, conditioning(generator, prompt), ctx.sample, ctx.pipeline.batcher);
    // path 0 of each seed: the first of the N paths the choosing strategies decode, so comparisons are paired
    seeds.forEach((seed, i) => batch.start(i, pathSeed(seed, 0)));
    await ctx.onEvent?.({ type: "begin", paths: seeds.length, steps: ctx.sample.steps });
    while (!batch.done()) await emitStep(ctx.onEvent, tokenizer, await batch.step());
    const tokens = seeds.map((_, i) => batch.tokens(i));
    const images = decodeTokens(tokenizer, tokens);
    for (const [i, image] of images.entries()) await emitChosen(ctx.onEvent, i, image);
    return seeds.map((seed, i) => ({
      image: images[i],
      tokens: tokens[i],
      nfe: batch.nfe / seeds.length,
      judgeCalls: 0,
      trace: { strategy: "none", seed },
    }));
  },
};
