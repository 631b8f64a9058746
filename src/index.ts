// imagecot's public API. Load the embedded pipeline (or reach a step server), choose a strategy
// and a judge, generate with a trace and its cost, and score images by GenEval's rules with the
// shapes detector:
//
//   import { loadPipeline, makeJudge, runStrategy, detect, evaluateImage, HttpStepGenerator } from "imagecot";
//   const pipeline = loadPipeline(); // or: new HttpStepGenerator("http://127.0.0.1:9000")
//   const [r] = await runStrategy(pipeline, "a photo of two red circles", { strategy: "parm", judge: makeJudge({ judge: "fine-tuned" }), n: 8 });
//   evaluateImage(meta, detect(r.image)).correct;
export { loadPipeline } from "./models/load.js";
export type { Pipeline } from "./generator/pipeline.js";
export { type GenerateOptions, type GeneratedPath, generate, generatePaths } from "./generator/generate.js";
export { DEFAULT_SAMPLE, type SampleOptions, StepBatcher } from "./generator/sampler.js";
export type { Correction, FinalImage, NewPath, OpenOptions, PathRef, PathStep, StepGenerator, StepSession } from "./generator/step-generator.js";
export { pathSeed, withSession } from "./generator/step-generator.js";
export { EmbeddedStepGenerator } from "./generator/embedded-steps.js";
export { type HttpStepOptions, HttpStepGenerator, StepProtocolError } from "./generator/http-step-generator.js";
export { STEP_PROTOCOL, type StepServerInfo } from "./generator/step-protocol.js";
export { STRATEGIES, strategyByName, type Strategy, type StrategyContext, type StrategyResult } from "./strategies/index.js";
export { type RunOptions, runStrategy } from "./strategies/run.js";
export type { EventSink, StrategyEvent } from "./strategies/events.js";
export { JUDGES, type JudgeSelection, makeJudge } from "./judges/registry.js";
export type { Judge, JudgeRequest, Question, Verdict } from "./judges/judge.js";
export { evaluateImage, relativePosition } from "./geneval/rules.js";
export { readMetadataFile } from "./geneval/metadata.js";
export { scoreFolder, summarizeRows } from "./geneval/score.js";
export type { Detection, PromptMeta, Tag } from "./geneval/types.js";
export { detect } from "./shapes/detector.js";
export { type RGBImage, decodePng, encodePng, readPng, writePng } from "./shapes/image.js";
export { InputError } from "./util/errors.js";
