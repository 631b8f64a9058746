// Which pairs a DPO command trains on, from its flags: one scheme at most, and the trajectory
// reading only where both images of a pair were sampled (a render has no sampling order) and no
// mask-ratio floor is asked (the sampler's own states are read, not masks drawn).
import type { PairsKind } from "../align/rank.js";
import { UserError } from "./run.js";

export function pairsKindOf(o: { rewardGuided?: boolean; selfPlay?: boolean; trajectory?: boolean; minMaskRatio?: number | readonly number[] }): PairsKind {
  if (o.selfPlay && o.rewardGuided) throw new UserError("--self-play and --reward-guided are two pair schemes: give one");
  if (o.selfPlay && o.trajectory) throw new UserError("--trajectory reads the sampler's own states: a render (--self-play's chosen image) has none");
  if (o.trajectory && [o.minMaskRatio ?? 0].flat().some((m) => m > 0)) throw new UserError("--min-mask-ratio has no meaning with --trajectory, which reads the sampler's own states");
  return o.rewardGuided ? "guided" : o.selfPlay ? "render" : "plain";
}
