// The generator a command drives: the shipped (or given) models, where a missing or mismatched
// file is a failure of the installation (exit 1 with the loader's message, never a stack
// trace); or, with --generator-url, an outside step server, asked at once whether it is there.
import { EmbeddedStepGenerator } from "../generator/embedded-steps.js";
import { HttpStepGenerator } from "../generator/http-step-generator.js";
import type { Pipeline } from "../generator/pipeline.js";
import type { StepGenerator } from "../generator/step-generator.js";
import { loadPipeline } from "../models/load.js";
import { UserError } from "./run.js";

export function cliPipeline(...args: Parameters<typeof loadPipeline>): Pipeline {
  try {
    return loadPipeline(...args);
  } catch (e) {
    throw new UserError((e as Error).message, 1);
  }
}

export interface GeneratorFlags {
  generatorUrl?: string;
  generator?: string;
  tokenizer?: string;
  corrector?: string;
}

export const GENERATOR_URL_HELP = "drive the generator of a step server at this URL (imagecot serve, examples/python-step-server) instead of the embedded one";

/** The step server at --generator-url once it has answered, else the embedded models. */
export async function cliGenerator(o: GeneratorFlags): Promise<StepGenerator> {
  if (o.generatorUrl === undefined) return new EmbeddedStepGenerator(cliPipeline(o.generator, o.tokenizer, o.corrector));
  const weights = (["generator", "tokenizer", "corrector"] as const).filter((k) => o[k] !== undefined).map((k) => `--${k}`);
  if (weights.length > 0) throw new UserError(`--generator-url drives an outside generator: drop ${weights.join(" and ")}`);
  const g = new HttpStepGenerator(o.generatorUrl);
  await g.info(); // not there, or not a step server: a StepProtocolError, exit 1
  return g;
}
