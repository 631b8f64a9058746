// Self-play pairs (SPIN: Chen et al. 2024, "Self-Play Fine-Tuning Converts Weak Language Models
// to Strong Language Models"; Yuan et al. 2024 for diffusion models): the chosen image is a
// ground-truth render of the prompt, the kind of image the generator was trained on, and the
// rejected one a sample of the generator that the detector says no to. Unlike yes/no pairs
// (pairs.ts), every prompt with a "no" sample gives pairs, the all-no prompts of the hardest
// tags too, and no chosen image is a detector miss. Renders are a pure function of (seed,
// prompt index, k), so a pairs file is reproducible from the ranking's records, and every round
// of an iterative run pairs a prompt's new samples with the same renders: the ground truth is
// fixed, what changes is the model it is contrasted with. A rerun renders and encodes them all
// again rather than keep a second store that could fall out of step with the records.
import { join } from "node:path";
import { groundTruthImage } from "../shapes/ground-truth.js";
import { encodePng } from "../shapes/image.js";
import type { VQAutoencoder } from "../tokenizer/vq.js";
import { writeFileAtomic } from "../util/atomic.js";
import { type Pair, type RankedPrompt, type RankedSample, pairRng, promptFileId, writePairs } from "./pairs.js";

export const RENDER_PAIRS_FILE = "pairs-render.jsonl";
/** renders encoded at a time: a bounded tensor however many pairs */
const ENCODE_CHUNK = 64;

/** One pair to make: the k-th "no" sample taken from its prompt, against the prompt's render k. */
export interface RenderSlot {
  prompt: RankedPrompt;
  rejected: RankedSample;
  k: number;
}

export interface RenderPairStats {
  prompts: number;
  /** prompts with at least one "no" sample: each gives pairs */
  with_no: number;
  /** of them, prompts whose samples are all "no" (plain DPO gets no pair from these) */
  all_no: number;
  pairs: number;
  /** pairs per GenEval tag: a ranking's balance (balance.json) is planned on its yes/no pairs, so these are the self-play pairs' own */
  by_tag: Record<string, number>;
}

/** Which "no" samples become pairs: at most perPrompt a prompt, drawn in a seeded order (pure). */
export function renderSlots(prompts: readonly RankedPrompt[], o: { perPrompt: number; seed: number }): { slots: RenderSlot[]; stats: RenderPairStats } {
  const slots: RenderSlot[] = [];
  let withNo = 0;
  let allNo = 0;
  for (const p of [...prompts].sort((a, b) => a.index - b.index)) {
    const no = p.samples.filter((s) => !s.correct);
    if (no.length === 0) continue;
    withNo++;
    if (no.length === p.samples.length) allNo++;
    const rng = pairRng(o.seed, p.index);
    const order = no.map((s) => ({ s, u: rng() })).sort((a, b) => a.u - b.u);
    order.slice(0, o.perPrompt).forEach(({ s }, k) => slots.push({ prompt: p, rejected: s, k }));
  }
  const byTag: Record<string, number> = {};
  for (const s of slots) byTag[s.prompt.meta.tag] = (byTag[s.prompt.meta.tag] ?? 0) + 1;
  return { slots, stats: { prompts: prompts.length, with_no: withNo, all_no: allNo, pairs: slots.length, by_tag: byTag } };
}

export const renderImageFile = (index: number, k: number) => `images/p${promptFileId(index)}-r${k}.png`;

/** The pair of a slot, given its render's tokens. */
export function renderPair(slot: RenderSlot, tokens: number[]): Pair {
  const { prompt: p, rejected: r } = slot;
  return {
    prompt: p.meta.prompt,
    chosen: renderImageFile(p.index, slot.k),
    rejected: r.image,
    prompt_index: p.index,
    tag: p.meta.tag,
    chosen_sample: -1, // a render, not one of the prompt's samples
    rejected_sample: r.sample,
    chosen_tokens: tokens,
    rejected_tokens: r.tokens,
    weight: 1,
  };
}

/** Renders and encodes every slot's chosen image, writes the PNGs and pairs-render.jsonl under `dir`. */
export function writeRenderPairs(dir: string, records: readonly RankedPrompt[], vq: VQAutoencoder, o: { perPrompt: number; seed: number }): RenderPairStats {
  const { slots, stats } = renderSlots(records, o);
  const pairs: Pair[] = [];
  for (let at = 0; at < slots.length; at += ENCODE_CHUNK) {
    const part = slots.slice(at, at + ENCODE_CHUNK);
    const images = part.map((s) => groundTruthImage(s.prompt.meta, o.seed, s.prompt.index, s.k, vq.config.imageSize));
    const ids = vq.tokenize(images);
    part.forEach((s, i) => {
      writeFileAtomic(join(dir, renderImageFile(s.prompt.index, s.k)), encodePng(images[i]));
      pairs.push(renderPair(s, ids[i]));
    });
  }
  writePairs(join(dir, RENDER_PAIRS_FILE), pairs);
  return stats;
}
