// The text tokenizer: one id per word of the shapes world's closed vocabulary (prompts and
// GenEval-style reasons). A word outside it is an error naming the word, never a silent <unk>.
import { NUMBER_WORDS } from "../geneval/suite.js";
import { WORLD_VOCABULARY } from "../shapes/world.js";
import { InputError } from "../util/errors.js";

/** Special tokens; [NULL] stands in for the prompt in the unconditional half of CFG. */
export const SPECIAL = ["[PAD]", "[NULL]", "[PROMPT]", "[REASON]", "[PREV]", "[IMAGE]"] as const;
export type Special = (typeof SPECIAL)[number];

/** Words of reflections ("expected two circles, found three"; "the star is above the square, not below"). */
const REASON_WORDS = [
  "expected", "found", "the", "is", "are", "not", "instead", "no", "missing", "extra", "wrong", "color",
  "target", "for", "to", "be", "it", "too", "many", "few", "there", "only", "but", "should",
  ">=", "<", ",", ";", ".", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
];
/** Unused ids kept so later vocabulary can grow without reshaping trained embeddings. */
const RESERVED = Array.from({ length: 24 }, (_, i) => `[UNUSED${i}]`);

export const VOCAB: readonly string[] = [
  ...SPECIAL,
  ...new Set([...WORLD_VOCABULARY, ...NUMBER_WORDS, ...REASON_WORDS]),
  ...RESERVED,
];

const IDS = new Map(VOCAB.map((w, i) => [w, i]));

export function specialId(s: Special): number {
  return IDS.get(s)!;
}

/** Words and the punctuation GenEval's reasons use (">=", "<", ",", ";", "."), lower-cased. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/>=|[<,;.]|[^\s<>=,;.]+/g) ?? [];
}

export class UnknownWordError extends InputError {
  constructor(readonly word: string, readonly text: string) {
    super(`unknown word '${word}' in "${text}" (the embedded model knows the shapes world's words: ${VOCAB.filter((w) => !w.startsWith("[")).slice(0, 40).join(", ")}, ...)`);
  }
}

export function encodeText(text: string): number[] {
  return words(text).map((w) => {
    const id = IDS.get(w);
    if (id === undefined) throw new UnknownWordError(w, text);
    return id;
  });
}

export function decodeText(ids: readonly number[]): string {
  return ids.map((i) => VOCAB[i] ?? `[${i}?]`).join(" ");
}
