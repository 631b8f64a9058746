// A tiny untrained generator and tokenizer and a scripted reflecting judge: the server, the page
// and the strategy events are tested without shipped weights or a judge model.
import type { Pipeline } from "../../src/generator/pipeline.js";
import type { SampleOptions } from "../../src/generator/sampler.js";
import type { StepGenerator } from "../../src/generator/step-generator.js";
import type { Judge, JudgeRequest, Reflection, Verdict } from "../../src/judges/judge.js";
import type { ServerOptions } from "../../src/server/context.js";
import type { RGBImage } from "../../src/shapes/image.js";

import { tinyPipeline } from "../fixtures/tiny.js";

export { tinyPipeline };

export const TINY_SAMPLE: SampleOptions = { steps: 6, cfg: 1.5, temperature: 1, confidenceTemperature: 4.5 };
export const PROMPT = "a photo of two red circles";

/** Mean red value in [0, 1]: a deterministic score of an image. */
export function redness(img: RGBImage): number {
  let s = 0;
  for (let i = 0; i < img.data.length; i += 3) s += img.data[i];
  return s / (img.data.length / 3) / 255;
}

/**
 * Clear from step 2, potential "no" for odd paths (so PARM cuts some), outcome by redness; the
 * first `failing` reflections fail with a reason. `gate`, when set, is awaited before every
 * answer, so a test can hold a job in flight.
 */
export class ScriptedJudge implements Judge {
  readonly name = "scripted";
  reflections = 0;
  /** judge() calls so far */
  calls = 0;
  gate: Promise<void> | null = null;
  private potentials = 0;
  constructor(private readonly failing = 1) {}

  async judge(requests: readonly JudgeRequest[]): Promise<Verdict[]> {
    this.calls++;
    await this.gate;
    return requests.map((r) => ({ pYes: this.answer(r) }));
  }

  private answer(r: JudgeRequest): number {
    if (r.question === "clarity") return r.step! >= 2 ? 0.9 : 0.1;
    if (r.question === "potential") return this.potentials++ % 2 === 0 ? 0.8 : 0.2;
    return redness(r.image);
  }

  async reflect(_prompt: string, _image: RGBImage): Promise<Reflection> {
    await this.gate;
    this.reflections++;
    return this.reflections <= this.failing ? { pYes: 0.1, reason: "expected two circles, found three" } : { pYes: 0.9, reason: null };
  }
}

/**
 * Server options over the tiny pipeline (or another generator): `scripted` (the default judge),
 * a plain non-reflecting one, and one that failed to load.
 */
export function serverOptions(judge: ScriptedJudge, o: Partial<ServerOptions> = {}, models: Pipeline | StepGenerator = tinyPipeline()): ServerOptions {
  const plain: Judge = { name: "plain", judge: async (rs) => rs.map(() => ({ pYes: 0.9 })) };
  return {
    ...("open" in models ? { generator: models } : { pipeline: models }),
    sample: TINY_SAMPLE,
    judges: { scripted: judge, plain },
    unavailableJudges: { broken: "no judge weights at models/broken.safetensors" },
    resultsDir: "/nonexistent",
    ...o,
  };
}
