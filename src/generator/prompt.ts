// The prompt segment of the generator's input: word ids padded to a fixed length; the
// unconditional half of classifier-free guidance gets [NULL] in place of the prompt.
import { encodeText, specialId } from "../tokenizer/text.js";

/** Prompt ids padded with [PAD] to `length`; null gives the unconditional row. */
export function promptIds(prompt: string | null, length: number): number[] {
  const ids = prompt === null ? [specialId("[NULL]")] : encodeText(prompt);
  if (ids.length > length) throw new Error(`prompt "${prompt}" has ${ids.length} words; the model reads at most ${length}`);
  return [...ids, ...Array(length - ids.length).fill(specialId("[PAD]"))];
}
