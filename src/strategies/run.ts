// One call for a program: run a strategy by name on a prompt and get, per seed, the chosen image,
// its trace and its cost.
import { stepGenerator } from "../generator/embedded-steps.js";
import type { Pipeline } from "../generator/pipeline.js";
import { DEFAULT_SAMPLE, type SampleOptions } from "../generator/sampler.js";
import type { StepGenerator } from "../generator/step-generator.js";
import type { Judge } from "../judges/judge.js";
import type { EventSink } from "./events.js";
import { strategyByName } from "./index.js";
import type { StrategyResult } from "./strategy.js";

export interface RunOptions {
  strategy?: string; // a name in STRATEGIES (default "none")
  judge?: Judge; // the verifier of the strategies that judge
  n?: number; // paths per image (default 20)
  seeds?: number[]; // one image per seed (default [0])
  sample?: Partial<SampleOptions>;
  onEvent?: EventSink;
}

/** `generator`: the embedded pipeline, or any StepGenerator (an HttpStepGenerator for a step server). */
export async function runStrategy(generator: Pipeline | StepGenerator, prompt: string, o: RunOptions = {}): Promise<StrategyResult[]> {
  const strategy = strategyByName(o.strategy ?? "none");
  const ctx = { generator: stepGenerator(generator), judge: o.judge, n: o.n ?? 20, sample: { ...DEFAULT_SAMPLE, ...o.sample }, onEvent: o.onEvent };
  return strategy.run(ctx, prompt, o.seeds ?? [0]);
}
