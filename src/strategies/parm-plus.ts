// `parm++`: PARM, then reflection: the judge checks the chosen image against the prompt and,
// when it fails, says what is wrong; the generator regenerates from the prompt, the previous
// image and the reason (a session opened with a correction: the embedded generator runs its
// self-correction fine-tune trained with the judge's reasons on the previous tokens), through
// PARM again. At most 3 rounds. `parm++-no-reason` regenerates from the previous image alone
// (the paper's ablation), on the fine-tune trained without reasons when it ships; which model a
// correction runs on, and the fallback, is correctorFor's (generator/pipeline.ts).
// The image returned is the best-judged of the rounds (the highest reflection P(yes)), not
// merely the last: a regeneration can make things worse, and the judge has already scored every
// round's image, all but the last (which costs one more reflection when no round passed).
import { type StepSession, closing } from "../generator/step-generator.js";
import { says } from "../judges/judge.js";
import { requireJudge } from "./common.js";
import { runParm } from "./parm.js";
import { PARM_RULE } from "./parm-rule.js";
import type { Strategy, StrategyResult } from "./strategy.js";

export const MAX_ROUNDS = 3;

function parmPlus(name: string, withReason: boolean): Strategy {
  return {
    name,
    rule: PARM_RULE,
    description: withReason
      ? "PARM, then up to 3 rounds of reflection and self-correction from the judge's reason"
      : "PARM, then up to 3 rounds of self-correction from the previous image, without the reason",
    async run(ctx, prompt, seeds) {
      const judge = requireJudge(ctx, name);
      if (!judge.reflect) throw new Error(`strategy '${name}' needs a reflecting judge; '${judge.name}' is not one`);
      const reflect = judge.reflect.bind(judge);
      const out: StrategyResult[] = [];
      for (const seed of seeds) {
        let session: StepSession = await ctx.generator.open(prompt, { sample: ctx.sample });
        const result = await closing(() => session, async (): Promise<StrategyResult> => {
          let run = await runParm(session, judge, prompt, ctx.n, seed, ctx.onEvent);
          let nfe = run.nfe;
          let judgeCalls = run.judgeCalls;
          const rounds: Record<string, unknown>[] = [{ round: 0, paths: run.paths, chosen: run.chosen, via: run.via }];
          let best = { run, pYes: -1, round: 0 };
          for (let round = 1; ; round++) {
            const reflection = await reflect(prompt, run.image);
            judgeCalls++;
            await ctx.onEvent?.({ type: "reflection", pYes: reflection.pYes, reason: reflection.reason });
            rounds[rounds.length - 1].reflection = reflection;
            if (reflection.pYes > best.pYes) best = { run, pYes: reflection.pYes, round: round - 1 };
            if (says(reflection.pYes) || round > MAX_ROUNDS) break;
            const reason = withReason ? (reflection.reason ?? "") : "";
            // the previous session stays open until the next one has read its chosen path
            const previous = await session.save(run.chosen);
            const done = session;
            session = await ctx.generator.open(prompt, { sample: ctx.sample, correction: { reason, previous } });
            await done.close();
            run = await runParm(session, judge, prompt, ctx.n, seed + round * 7_919, ctx.onEvent);
            nfe += run.nfe;
            judgeCalls += run.judgeCalls;
            rounds.push({ round, reason, paths: run.paths, chosen: run.chosen, via: run.via });
          }
          const r = best.run;
          return { image: r.image, tokens: r.tokens, nfe, judgeCalls, trace: { strategy: name, seed, n: ctx.n, rounds, returned_round: best.round }, selection: { chosen: r.chosen, rejected: r.rejected } };
        });
        out.push(result);
      }
      return out;
    },
  };
}

export const parmPlusPlus = parmPlus("parm++", true);
export const parmPlusPlusNoReason = parmPlus("parm++-no-reason", false);
