// `none`: one decoding path per image, no verification (the baseline). The images of a
// prompt decode together as independent paths of one batch.
import { conditioning, decodeTokens } from "../generator/pipeline.js";
import { PathBatch } from "../generator/sampler.js";
import type { Strategy } from "./strategy.js";

export const none: Strategy = {
  name: "none",
  description: "one path per image, no judge (the baseline)",
  async run(ctx, prompt, seeds) {
    const { generator, tokenizer } = ctx.pipeline;
    const batch = new PathBatch(generator, conditioning(generator, prompt), ctx.sample);
    seeds.forEach((seed, i) => batch.start(i, seed));
    while (!batch.done()) batch.step();
    const tokens = seeds.map((_, i) => batch.tokens(i));
    const images = decodeTokens(tokenizer, tokens);
    return seeds.map((seed, i) => ({
      image: images[i],
      tokens: tokens[i],
      nfe: batch.nfe / seeds.length,
      judgeCalls: 0,
      trace: { strategy: "none", seed },
    }));
  },
};
