// The strategy interface: how one image is chosen for a prompt, and at what cost. Strategies
// see the generator through the StepGenerator interface and judges through the Judge interface only.
import type { SampleOptions } from "../generator/sampler.js";
import type { StepGenerator } from "../generator/step-generator.js";
import type { Judge } from "../judges/judge.js";
import type { RGBImage } from "../shapes/image.js";
import type { Precision } from "../util/precision.js";
import type { EventSink } from "./events.js";

export interface StrategyContext {
  /** the embedded generator, or a step server over HTTP */
  generator: StepGenerator;
  sample: SampleOptions;
  /** paths per image (N); strategies that decode one path ignore it */
  n: number;
  /** the verifier; strategies that judge fail without one */
  judge?: Judge;
  /** live events (steps, verdicts, cuts, choices, reflections); costs decoding only when set */
  onEvent?: EventSink;
}

export interface StrategyResult {
  image: RGBImage;
  /** the chosen image's tokens, where the generator sends tokens (the embedded one does) */
  tokens?: Int32Array;
  /** generator forward passes spent on this image, counting each CFG half */
  nfe: number;
  judgeCalls: number;
  /** what happened, for the trace: paths, verdicts, cuts, reflections */
  trace: Record<string, unknown>;
  /** strategies that choose among N paths (best-of-n, parm, parm++'s last round): the chosen path and the others */
  selection?: { chosen: number; rejected: RejectedPath[] };
  /**
   * The precision the image was decoded in, where the strategy knows it better than its caller:
   * a replay's is its recording's (null: a recording made before it was kept)
   */
  precision?: Precision | null;
}

/** A path the strategy decoded but did not choose, and what the judge made of it. */
export interface RejectedPath {
  path: number;
  /** the step after which the judge cut it, or null when it ran to the end */
  cutAfter: number | null;
  /** the judge's last P(yes) on it: potential where it was cut, else the outcome score; null when PARM's survivor budget stopped it before it was clear */
  pYes: number | null;
  /** its final image; null when it was cut (its last steps were never decoded) */
  image: RGBImage | null;
}

export interface Strategy {
  readonly name: string;
  readonly description: string;
  /** the decision constants its images depend on (PARM's rule), which a run's settings record */
  readonly rule?: Readonly<Record<string, number>>;
  /** One image per seed; a strategy may batch the seeds' work together. */
  run(ctx: StrategyContext, prompt: string, seeds: number[]): Promise<StrategyResult[]>;
}
