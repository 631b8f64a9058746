// `step-best-of-n` (PRM): at every step branch N candidates from the best state so far,
// advance each one step, ask the judge about each intermediate image, continue the best.
import { conditioning, decodeTokens, pathSeed } from "../generator/pipeline.js";
import { PathBatch, type PathState } from "../generator/sampler.js";
import { argmax, requireJudge } from "./common.js";
import { emitChosen, emitStepImages, emitVerdicts } from "./events.js";
import type { Strategy, StrategyResult } from "./strategy.js";

export const stepBestOfN: Strategy = {
  name: "step-best-of-n",
  description: "N branches per step from the best state, the judge's process score picks the branch (PRM)",
  async run(ctx, prompt, seeds) {
    const judge = requireJudge(ctx, "step-best-of-n");
    const { generator, tokenizer } = ctx.pipeline;
    const cond = conditioning(generator, prompt);
    const T = ctx.sample.steps;
    const out: StrategyResult[] = [];
    for (const seed of seeds) {
      let best: PathState | null = null;
      let nfe = 0;
      let judgeCalls = 0;
      const steps: { step: number; process: number[]; chosen: number }[] = [];
      await ctx.onEvent?.({ type: "begin", paths: ctx.n, steps: T });
      for (let t = 0; t < T; t++) {
        const batch = new PathBatch(generator, cond, ctx.sample, ctx.pipeline.batcher);
        // every branch gets a stream of its own, fixed by (seed, step, branch)
        for (let i = 0; i < ctx.n; i++) {
          const branchSeed = pathSeed(pathSeed(seed, t), i);
          if (best) batch.branch(best, i, branchSeed);
          else batch.start(i, branchSeed);
        }
        const results = await batch.step();
        nfe += batch.nfe;
        const images = decodeTokens(tokenizer, results.map((r) => r.prediction));
        await emitStepImages(ctx.onEvent, results, images);
        const verdicts = await judge.judge(images.map((image) => ({ question: "process" as const, prompt, image, step: t, steps: T })));
        judgeCalls += verdicts.length;
        await emitVerdicts(ctx.onEvent, "process", results.map((r) => ({ path: r.path, step: t })), verdicts);
        const k = argmax(verdicts.map((v) => v.pYes));
        await ctx.onEvent?.({ type: "select", step: t, path: results[k].path });
        best = batch.save(results[k].path);
        steps.push({ step: t, process: verdicts.map((v) => v.pYes), chosen: k });
      }
      const tokens = best!.tokens;
      const image = decodeTokens(tokenizer, [tokens])[0];
      await emitChosen(ctx.onEvent, best!.id, image);
      out.push({
        image,
        tokens,
        nfe,
        judgeCalls,
        trace: { strategy: "step-best-of-n", seed, n: ctx.n, steps },
      });
    }
    return out;
  },
};
