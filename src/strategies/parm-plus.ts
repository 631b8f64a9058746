// `parm++`: PARM, then reflection: the judge checks the chosen image against the prompt and,
// when it fails, says what is wrong; the self-correcting generator regenerates from the
// prompt, the previous image's tokens and the reason, through PARM again. At most 3 rounds.
// `parm++-no-reason` regenerates from the previous image alone (the paper's ablation).
import { conditioning } from "../generator/pipeline.js";
import { requireJudge } from "./common.js";
import { runParm } from "./parm.js";
import type { Strategy, StrategyResult } from "./strategy.js";

export const MAX_ROUNDS = 3;

function parmPlus(name: string, withReason: boolean): Strategy {
  return {
    name,
    description: withReason
      ? "PARM, then up to 3 rounds of reflection and self-correction from the judge's reason"
      : "PARM, then up to 3 rounds of self-correction from the previous image, without the reason",
    async run(ctx, prompt, seeds) {
      const judge = requireJudge(ctx, name);
      if (!judge.reflect) throw new Error(`strategy '${name}' needs a reflecting judge; '${judge.name}' is not one`);
      const { generator } = ctx.pipeline;
      // regenerations run on the self-correction fine-tune when the pipeline has one
      const corrector = { ...ctx.pipeline, generator: ctx.pipeline.corrector ?? generator };
      const out: StrategyResult[] = [];
      for (const seed of seeds) {
        let run = await runParm(ctx.pipeline, judge, conditioning(generator, prompt), prompt, ctx.n, seed, ctx.sample, ctx.onEvent);
        let nfe = run.nfe;
        let judgeCalls = run.judgeCalls;
        const rounds: Record<string, unknown>[] = [{ round: 0, paths: run.paths, chosen: run.chosen, via: run.via }];
        for (let round = 1; round <= MAX_ROUNDS; round++) {
          const reflection = await judge.reflect(prompt, run.image);
          judgeCalls++;
          await ctx.onEvent?.({ type: "reflection", pYes: reflection.pYes, reason: reflection.reason });
          rounds[rounds.length - 1].reflection = reflection;
          if (reflection.pYes >= 0.5) break;
          const reason = withReason ? (reflection.reason ?? "") : "";
          const cond = conditioning(corrector.generator, prompt, { reason, previous: run.tokens });
          run = await runParm(corrector, judge, cond, prompt, ctx.n, seed + round * 7_919, ctx.sample, ctx.onEvent);
          nfe += run.nfe;
          judgeCalls += run.judgeCalls;
          rounds.push({ round, reason, paths: run.paths, chosen: run.chosen, via: run.via });
        }
        out.push({ image: run.image, tokens: run.tokens, nfe, judgeCalls, trace: { strategy: name, seed, n: ctx.n, rounds }, selection: { chosen: run.chosen, rejected: run.rejected } });
      }
      return out;
    },
  };
}

export const parmPlusPlus = parmPlus("parm++", true);
export const parmPlusPlusNoReason = parmPlus("parm++-no-reason", false);
