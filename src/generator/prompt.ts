// The prompt segment of the generator's input: word ids padded to a fixed length; the
// unconditional half of classifier-free guidance gets [NULL] in place of the prompt.
import { UnknownWordError, encodeText, specialId, words } from "../tokenizer/text.js";
import { InputError } from "../util/errors.js";

/** Prompt ids padded with [PAD] to `length`; null gives the unconditional row. */
export function promptIds(prompt: string | null, length: number): number[] {
  if (prompt !== null && prompt.trim() === "") throw new InputError("the prompt is empty");
  const ids = prompt === null ? [specialId("[NULL]")] : encodeText(prompt);
  if (ids.length > length) throw new InputError(`prompt "${prompt}" has ${ids.length} words; the model reads at most ${length}`);
  return [...ids, ...Array(length - ids.length).fill(specialId("[PAD]"))];
}

/**
 * The reason segment for self-correction, padded to `length`. Words outside the generator's
 * vocabulary (an external judge may use any) are dropped: it can only act on words it knows.
 */
export function reasonIds(reason: string, length: number): number[] {
  const ids = words(reason).flatMap((w) => {
    try {
      return encodeText(w);
    } catch (e) {
      if (e instanceof UnknownWordError) return [];
      throw e;
    }
  });
  const kept = ids.slice(0, length);
  return [...kept, ...Array(length - kept.length).fill(specialId("[PAD]"))];
}

/** Whether a reason has a word the generator knows: an empty reason segment is no reason at all. */
export function readsReason(reason: string): boolean {
  return reasonIds(reason, 1)[0] !== specialId("[PAD]");
}
