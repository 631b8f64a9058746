// Where the shipped weights live (models/ at the package root).
import { fromRoot } from "../util/root.js";

export const DEFAULT_TOKENIZER = fromRoot("models", "tokenizer.safetensors");
export const DEFAULT_GENERATOR_WEIGHTS = fromRoot("models", "generator.safetensors");
/** The generator fine-tuned for self-correction with the judge's reasons, used by PARM++ to regenerate. */
export const DEFAULT_CORRECTOR_WEIGHTS = fromRoot("models", "generator-sc.safetensors");
/** The same fine-tune without any reason (`train self-correct --reasons none`): PARM++'s no-reason ablation. */
export const DEFAULT_CORRECTOR_NO_REASON_WEIGHTS = fromRoot("models", "generator-sc-no-reason.safetensors");

/** The shipped DPO-aligned generators, by file name, as results tables name them. */
export const ALIGNED_GENERATORS: Readonly<Record<string, string>> = {
  "generator-dpo.safetensors": "DPO",
  "generator-dpo-iter.safetensors": "iterative DPO",
  "generator-dpo-rg.safetensors": "reward-guided iterative DPO",
  "generator-dpo-flat2.safetensors": "DPO, pairs of the shipped sampler",
  "generator-dpo-iter-flat2.safetensors": "iterative DPO, pairs of the shipped sampler",
};
