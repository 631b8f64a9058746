// What made the images of a suite folder: the generator and tokenizer (by content, or the URL of
// the step server that made them), the suite
// (by content), the strategy and its judge, N, images per prompt, steps, guidance and seed. A
// folder records it on first use; resuming into it with other settings is refused, so images
// of two settings never mix. (--every picks prompts, whose images do not depend on it.)
import { createHash } from "node:crypto";
import { fileHash } from "../util/file-hash.js";
import type { Pipeline } from "../generator/pipeline.js";
import { DEFAULT_CORRECTOR_NO_REASON_WEIGHTS, DEFAULT_CORRECTOR_WEIGHTS } from "../models/paths.js";
import { tokenizerId } from "../tokenizer/id.js";
import { claimDir } from "../util/claim.js";

export interface SuiteSettings {
  generator: string; // sha256 of the weights file, 16 hex digits; or the URL of an outside step server
  tokenizer: string | null; // null: the step server's own
  corrector: string | null;
  /** the no-reason ablation's self-correction generator, only when one is loaded (folders claimed before it existed stay valid) */
  corrector_no_reason?: string;
  suite: string;
  strategy: string;
  judge: string | null; // name, and for a server its URL and model
  /** an embedded judge's weights by content, so that a retrained judge never resumes another's folder (a folder claimed before it existed is refused: which judge made its images is not known) */
  judge_weights?: string;
  /** the strategy's decision constants (PARM's rule), only for a strategy that has them: folders of the others claimed before it existed stay valid, PARM's are refused (which rule made their images is not recorded) */
  rule?: Readonly<Record<string, number>>;
  replay: boolean;
  n: number;
  images_per_prompt: number;
  steps: number;
  cfg: number;
  temperature: number;
  confidence_temperature: number;
  /** the flat-background penalty, only where not 0 (folders claimed before it existed keep their settings) */
  flat_penalty?: number;
  seed: number;
}

export const SETTINGS_FILE = "settings.json";


/** The models of a pipeline by content: what the settings record, and what a queue worker must match. */
export interface PipelineIds {
  generator: string; // weights by content, or a step server's URL
  tokenizer: string | null; // null: a step server's generator, whose tokenizer is its own
  corrector: string | null;
  /** present only when the no-reason self-correction generator is loaded */
  corrector_no_reason?: string;
}

/** `generatorPath`: the file the pipeline's generator was loaded from. */
export function pipelineIds(generatorPath: string, p: Pipeline): PipelineIds {
  const ids: PipelineIds = { generator: fileHash(generatorPath)!, tokenizer: tokenizerId(p.tokenizer), corrector: p.corrector ? fileHash(DEFAULT_CORRECTOR_WEIGHTS) : null };
  const noReason = p.correctorNoReason ? fileHash(DEFAULT_CORRECTOR_NO_REASON_WEIGHTS) : null;
  return noReason ? { ...ids, corrector_no_reason: noReason } : ids;
}

/** A short name for the settings, for default folder names. */
export function settingsTag(s: SuiteSettings): string {
  return createHash("sha256").update(JSON.stringify(s)).digest("hex").slice(0, 8);
}

/**
 * Claims `dir` for these settings: records them in a new or empty folder, accepts the same
 * ones, and refuses others (InputError) unless `restart`, which deletes the folder first.
 */
export function claimFolder(dir: string, s: SuiteSettings, restart = false): void {
  claimDir(dir, { ...s }, { file: SETTINGS_FILE, maker: "'eval --suite'", contents: "images", flag: "--gen-dir", restart });
}
