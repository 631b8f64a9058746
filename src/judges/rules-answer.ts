// The judge's outcome answer read off its own observation, by GenEval's rules: P(yes) is the
// product, over what the prompt asks, of the heads' probabilities (each mentioned object's
// count in the allowed range, its colour, the asked relation). The network then only has to
// see counts, colours and places (perception), and the prompt's logic is exact instead of
// learned; the product keeps a score that orders paths. Prompts outside GenEval's templates
// have no such reading (nor prompts the reading cannot settle: ruleTargets): they keep the yes head.
import { countFails, parsePrompt, mentionOrder, MAX_OBSERVED_COUNT } from "../geneval/observe.js";
import { COLORS, RELATIONS } from "../geneval/types.js";
import { type Tensor, tensor, tidy } from "../torch/index.js";

const COUNT_CLASSES = MAX_OBSERVED_COUNT + 1;
/** A log-probability that stands for "impossible" and stays finite through the sums. */
const IMPOSSIBLE = -1e4;

/** What each prompt asks, as masks over the heads' classes; `known` is 0 where the prompt cannot be read. */
export interface RuleTargets {
  /** (B, slots, COUNT_CLASSES): 0 where the count is allowed, IMPOSSIBLE where not (all 0 on an unused slot) */
  countLogMask: number[];
  /** (B, slots): 1 where the slot names an object */
  used: number[];
  /** (B, slots): the asked colour's index, or -1 */
  color: number[];
  /** (B): the asked relation's index, or -1 */
  relation: number[];
  /** (B): 1 where the prompt was read */
  known: number[];
  /** (B, slots): the class each slot names, as an index into the judge's classes, or -1 (also where the prompt was not read) */
  slotClass: number[];
  /**
   * (B, slots): the class each slot names, or -1, read or not: a reading the prompt does not
   * enter (the counting head's, over the pixels) needs the class even where the rules answer
   * cannot settle the prompt (a colour asked of several objects)
   */
  namedClass: number[];
}

export function ruleTargets(prompts: readonly string[], slots: number, classes: readonly string[]): RuleTargets {
  const t: RuleTargets = { countLogMask: [], used: [], color: [], relation: [], known: [], slotClass: [], namedClass: [] };
  for (const prompt of prompts) {
    let meta = null;
    try {
      meta = parsePrompt(prompt);
    } catch {
      // not one of GenEval's templates: the yes head answers
    }
    const order = meta ? mentionOrder(meta) : [];
    const slotClass = meta ? order.map((i) => classes.indexOf(meta.include[i].class)) : [];
    const named = Array.from({ length: slots }, (_, s) => slotClass[s] ?? -1);
    t.namedClass.push(...named);
    // beyond the reading: a class the judge has no token for, one class named twice (GenEval
    // checks it once), or a colour asked of several objects (GenEval checks every one of them;
    // a class token reads the most confident one's)
    const readable = meta !== null && order.length <= slots && !slotClass.includes(-1) && new Set(slotClass).size === slotClass.length && !meta.include.some((inc) => inc.color && inc.count > 1);
    if (!meta || !readable) {
      t.countLogMask.push(...new Array(slots * COUNT_CLASSES).fill(0));
      t.used.push(...new Array(slots).fill(0));
      t.color.push(...new Array(slots).fill(-1));
      t.relation.push(-1);
      t.known.push(0);
      t.slotClass.push(...new Array(slots).fill(-1));
      continue;
    }
    for (let s = 0; s < slots; s++) {
      const req = s < order.length ? meta.include[order[s]] : null;
      // the last class is "that many or more", as countFails reads it
      for (let n = 0; n < COUNT_CLASSES; n++) t.countLogMask.push(!req || !countFails(meta, req, n) ? 0 : IMPOSSIBLE);
      t.used.push(req ? 1 : 0);
      t.color.push(req?.color ? COLORS.indexOf(req.color) : -1);
    }
    t.slotClass.push(...named); // read: the same classes
    const rel = meta.include[order[0]]?.position?.[0];
    t.relation.push(rel ? RELATIONS.indexOf(rel) : -1);
    t.known.push(1);
  }
  return t;
}

/**
 * log P(yes) from the heads' logits: counts (B, S, C), colors (B, S, K), relations (B, R)
 * -> (B). Unknown prompts get 0 (the caller keeps the yes head for them).
 */
export function ruleLogProb(counts: Tensor, colors: Tensor, relations: Tensor, t: RuleTargets): Tensor {
  return tidy(() => {
    const [B, S] = counts.shape;
    const countMask = tensor(t.countLogMask, [B, S, COUNT_CLASSES]);
    const used = tensor(t.used, [B, S]);
    const countTerm = counts.logSoftmax(2).add(countMask).logsumexp(2).mul(used).sum(1); // (B)
    const colorIdx = t.color.map((c) => Math.max(c, 0));
    const colorOn = tensor(t.color.map((c) => (c >= 0 ? 1 : 0)), [B, S]);
    const colorTerm = colors.logSoftmax(2).gather(2, tensor(colorIdx, [B, S, 1], "int64")).squeeze(2).mul(colorOn).sum(1); // (B)
    const relOn = tensor(t.relation.map((r) => (r >= 0 ? 1 : 0)), [B]);
    const relTerm = relations.logSigmoid().gather(1, tensor(t.relation.map((r) => Math.max(r, 0)), [B, 1], "int64")).squeeze(1).mul(relOn); // (B)
    return countTerm.add(colorTerm).add(relTerm).mul(tensor(t.known, [B]));
  });
}

/** The logit of P = exp(logP), clamped so that certainty stays finite: log P - log(1 - P). */
export function logitOfLogProb(logP: Tensor): Tensor {
  return tidy(() => {
    const lp = logP.clamp(undefined, -1e-6);
    return lp.sub(lp.exp().neg().add(1).log());
  });
}
