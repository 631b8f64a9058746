// Why a judge said no, in GenEval's words, from its reflection heads' probabilities. The heads
// are read independently: when their most likely reading already fails the prompt, its
// mismatch is the reason; when it passes (the answer's product of probabilities fell below one
// half all the same), the one requirement whose failure costs the least log-probability is
// taken as failed: the most likely reading among those that fail, which is what "no" asserts.
import { type Observation, UNSPECIFIED_REASON, countFails, describeMismatch, mentionOrder } from "../geneval/observe.js";
import { COLORS, RELATIONS, type PromptMeta } from "../geneval/types.js";

/** The heads' probabilities for the prompt's objects, in mention order. */
export interface HeadProbs {
  /** per slot: P(count = 0..MAX_OBSERVED_COUNT) */
  counts: number[][];
  /** per slot: P(colour), the ten colours then "none seen" */
  colors: number[][];
  /** P(first object RELATION second), RELATIONS order */
  relations: number[];
}

const argmax = (p: readonly number[]) => p.reduce((best, v, i) => (v > p[best] ? i : best), 0);
/** `a` with a[i] = v (a copy). */
const setAt = <T>(a: readonly T[], i: number, v: T): T[] => a.map((x, j) => (j === i ? v : x));

/** A reading of `objects` mentioned objects: the relation only when both are seen, as the detector has it. */
const reading = (objects: number, c: number[], k: number[], r: boolean[]): Observation => ({ counts: c, colors: k, relations: objects === 2 && c[0] > 0 && c[1] > 0 ? r : null });

/** What the heads read, each at its most likely value, as the detector's reading is written (geneval/observe.ts). */
export function mostLikelyReading(meta: PromptMeta, p: HeadProbs): Observation {
  const order = mentionOrder(meta);
  return reading(order.length, order.map((_, s) => argmax(p.counts[s])), order.map((_, s) => argmax(p.colors[s])), p.relations.map((x) => x >= 0.5));
}

/** The reading a failing answer makes most likely, and its reason. */
export function explainNo(meta: PromptMeta, p: HeadProbs): string {
  const order = mentionOrder(meta);
  const likely = mostLikelyReading(meta, p);
  const { counts, colors } = likely;
  const relations = p.relations.map((x) => x >= 0.5);
  const direct = describeMismatch(meta, likely);
  if (direct !== null) return direct;

  // the reading passes: fail its cheapest requirement instead (cost: log P(read) - log P(failing))
  let best: { cost: number; obs: Observation } | null = null;
  const consider = (cost: number, obs: Observation) => {
    if (Number.isFinite(cost) && (best === null || cost < best.cost)) best = { cost, obs };
  };
  order.forEach((inc, s) => {
    const req = meta.include[inc];
    const failing = p.counts[s].map((q, n) => (countFails(meta, req, n) ? q : -1));
    const n = argmax(failing);
    if (failing[n] > 0) consider(Math.log(p.counts[s][counts[s]]) - Math.log(failing[n]), reading(order.length, setAt(counts, s, n), colors, relations));
    if (req.color) {
      const asked = COLORS.indexOf(req.color);
      const other = argmax(p.colors[s].map((q, c) => (c === asked ? -1 : q)));
      if (p.colors[s][other] > 0) consider(Math.log(p.colors[s][colors[s]]) - Math.log(p.colors[s][other]), reading(order.length, counts, setAt(colors, s, other), relations));
    }
  });
  const rel = meta.include[order[0]]?.position?.[0];
  if (rel && likely.relations !== null) {
    const k = RELATIONS.indexOf(rel);
    consider(Math.log(p.relations[k]) - Math.log(1 - p.relations[k]), reading(order.length, counts, colors, setAt(relations, k, false)));
  }
  const chosen = best as { cost: number; obs: Observation } | null;
  return (chosen && describeMismatch(meta, chosen.obs)) ?? UNSPECIFIED_REASON;
}
