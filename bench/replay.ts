// Replay against live runs on the real model (METHOD.md section 6): on a sample of test
// prompts, each replayable strategy is run live and replayed from the recording; the images
// (tokens), NFE and judge calls must be the same.
import { REPLAYABLE, replayStrategy } from "../src/eval/replay.js";
import { sampleSeed } from "../src/eval/run-suite.js";
import type { PromptMeta } from "../src/geneval/types.js";
import type { Judge } from "../src/judges/judge.js";
import { strategyByName, type StrategyContext } from "../src/strategies/index.js";

export interface ReplayCheckRow {
  strategy: string;
  images: number;
  same_image: number;
  same_nfe: number;
  same_judge_calls: number;
  live_seconds: number;
}

export async function checkReplay(ctx: StrategyContext, judge: Judge, judgeName: string, recordDir: string, suite: readonly PromptMeta[], prompts: readonly number[]): Promise<ReplayCheckRow[]> {
  const rows: ReplayCheckRow[] = [];
  for (const name of REPLAYABLE) {
    const row = { strategy: name, images: 0, same_image: 0, same_nfe: 0, same_judge_calls: 0, live_seconds: 0 };
    for (const p of prompts) {
      const seeds = [sampleSeed(0, p, 0)];
      const t0 = performance.now();
      const [live] = await strategyByName(name).run({ ...ctx, judge }, suite[p].prompt, seeds);
      row.live_seconds += (performance.now() - t0) / 1000;
      const [replayed] = await replayStrategy(name, recordDir, judgeName).run({ ...ctx, judge }, suite[p].prompt, seeds);
      row.images++;
      if (live.tokens!.every((t, i) => t === replayed.tokens![i])) row.same_image++; // embedded runs: tokens always
      if (live.nfe === replayed.nfe) row.same_nfe++;
      if (live.judgeCalls === replayed.judgeCalls) row.same_judge_calls++;
    }
    rows.push(row);
  }
  return rows;
}
