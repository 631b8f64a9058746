// The detector's verdict, by GenEval's rules, on every recorded path's final image: what the
// oracle and the frontier score choices by. Analysis only: no strategy or judge reads it.
import { evaluateImage } from "../geneval/rules.js";
import type { PromptMeta } from "../geneval/types.js";
import { type Pipeline, decodeTokens } from "../generator/pipeline.js";
import { detect } from "../shapes/detector.js";
import { type Recording, prediction } from "./replay.js";

/** Whether path k's final image is correct, for every recorded path k. */
export function finalsCorrect(p: Pipeline, r: Recording, meta: PromptMeta): boolean[] {
  const finals = decodeTokens(p.tokenizer, Array.from({ length: r.n }, (_, k) => prediction(r, k, r.steps - 1)));
  return finals.map((image) => evaluateImage(meta, detect(image)).correct);
}
