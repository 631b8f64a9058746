// Where the shipped weights live (models/ at the package root).
import { fromRoot } from "../util/root.js";

export const DEFAULT_TOKENIZER = fromRoot("models", "tokenizer.safetensors");
export const DEFAULT_GENERATOR_WEIGHTS = fromRoot("models", "generator.safetensors");
/** The generator fine-tuned for self-correction, used by PARM++ to regenerate. */
export const DEFAULT_CORRECTOR_WEIGHTS = fromRoot("models", "generator-sc.safetensors");
