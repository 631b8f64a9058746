// Prompt in, images out: N paths of one prompt decoded to the end on any StepGenerator, each
// step reported (its images decoded only when the caller asks).
import type { RGBImage } from "../shapes/image.js";
import { EmbeddedStepGenerator } from "./embedded-steps.js";
import type { Pipeline } from "./pipeline.js";
import type { SampleOptions } from "./sampler.js";
import { type PathStep, type StepGenerator, pathSeed, withSession } from "./step-generator.js";

export interface GenerateOptions extends SampleOptions {
  n: number; // paths
  seed: number;
  /** Called after every step with that step's results; images() decodes the predictions on demand. */
  onStep?: (results: PathStep[], images: () => Promise<RGBImage[]>) => void | Promise<void>;
}

export interface GeneratedPath {
  id: number;
  seed: number;
  /** where the generator sends tokens */
  tokens?: Int32Array;
  image: RGBImage;
}

/** Decodes n full paths for one prompt, path i seeded pathSeed(seed, i). */
export async function generatePaths(g: StepGenerator, prompt: string, o: GenerateOptions): Promise<{ paths: GeneratedPath[]; nfe: number }> {
  const { steps, cfg, temperature, confidenceTemperature, flatPenalty } = o;
  return withSession(g, prompt, { sample: { steps, cfg, temperature, confidenceTemperature, flatPenalty } }, async (s) => {
    await s.start(Array.from({ length: o.n }, (_, i) => ({ id: i, seed: pathSeed(o.seed, i) })));
    while (!s.done()) {
      const results = await s.step();
      await o.onStep?.(results, () => s.images(results));
    }
    const finals = await s.finals(s.live());
    return { paths: finals.map((f) => ({ id: f.path, seed: pathSeed(o.seed, f.path), tokens: f.tokens, image: f.image })), nfe: s.nfe };
  });
}

/** The embedded models' paths, tokens included (what the data loops keep). */
export async function generate(p: Pipeline, prompt: string, o: GenerateOptions): Promise<{ paths: (GeneratedPath & { tokens: Int32Array })[]; nfe: number }> {
  const r = await generatePaths(new EmbeddedStepGenerator(p), prompt, o);
  return { ...r, paths: r.paths.map((x) => ({ ...x, tokens: x.tokens! })) };
}
