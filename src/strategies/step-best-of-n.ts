// `step-best-of-n` (PRM): at every step branch N candidates from the best state so far,
// advance each one step, ask the judge about each intermediate image, continue the best.
import { type PathRef, pathSeed, withSession } from "../generator/step-generator.js";
import { argmax, requireJudge } from "./common.js";
import { emitChosen, emitStepImages, emitVerdicts } from "./events.js";
import type { Strategy, StrategyResult } from "./strategy.js";

export const stepBestOfN: Strategy = {
  name: "step-best-of-n",
  description: "N branches per step from the best state, the judge's process score picks the branch (PRM)",
  async run(ctx, prompt, seeds) {
    const judge = requireJudge(ctx, "step-best-of-n");
    const T = ctx.sample.steps;
    const out: StrategyResult[] = [];
    for (const seed of seeds) {
      const r = await withSession(ctx.generator, prompt, { sample: ctx.sample }, async (s): Promise<StrategyResult> => {
        let best: PathRef | null = null;
        let kept = -1;
        let judgeCalls = 0;
        const steps: { step: number; process: number[]; chosen: number }[] = [];
        await ctx.onEvent?.({ type: "begin", paths: ctx.n, steps: T });
        for (let t = 0; t < T; t++) {
          // every branch gets a stream of its own, fixed by (seed, step, branch)
          const branches = Array.from({ length: ctx.n }, (_, i) => ({ id: i, seed: pathSeed(pathSeed(seed, t), i) }));
          await (best ? s.branch(best, branches) : s.start(branches));
          const results = await s.step();
          const images = await s.images(results);
          await emitStepImages(ctx.onEvent, results, images);
          const verdicts = await judge.judge(images.map((image) => ({ question: "process" as const, prompt, image, step: t, steps: T })));
          judgeCalls += verdicts.length;
          await emitVerdicts(ctx.onEvent, "process", results.map((r) => ({ path: r.path, step: t })), verdicts);
          const k = argmax(verdicts.map((v) => v.pYes));
          kept = results[k].path;
          await ctx.onEvent?.({ type: "select", step: t, path: kept });
          steps.push({ step: t, process: verdicts.map((v) => v.pYes), chosen: k });
          // the next step branches from the kept candidate; after the last, it is the image
          if (t < T - 1) best = await s.save(kept);
          await s.truncate(s.live().filter((id) => t < T - 1 || id !== kept));
        }
        const [final] = await s.finals([kept]);
        await emitChosen(ctx.onEvent, kept, final.image);
        return { image: final.image, tokens: final.tokens, nfe: s.nfe, judgeCalls, trace: { strategy: "step-best-of-n", seed, n: ctx.n, steps } };
      });
      out.push(r);
    }
    return out;
  },
};
