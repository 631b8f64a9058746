// Small pieces the judging strategies share.
import type { Judge } from "../judges/judge.js";
import type { RGBImage } from "../shapes/image.js";
import type { RejectedPath, StrategyContext } from "./strategy.js";

export function requireJudge(ctx: StrategyContext, strategy: string): Judge {
  if (!ctx.judge) throw new Error(`strategy '${strategy}' needs a judge (--judge)`);
  return ctx.judge;
}

/** Index of the largest value (the first one on ties). */
export function argmax(xs: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
}

/** How a path of a selection ended: at the last step, or cut after a step (on its potential, or by PARM's survivor budget: then potential is null when it was not yet clear). */
export interface PathEnd {
  id: number;
  cutAfter: number | null;
  potential: { pYes: number } | null;
}

/**
 * The paths other than the chosen one: cut ones with their potential score and no image, the
 * rest with their outcome score and final image (`finals` gives those of the ids asked, in
 * order). The finals are asked for once, when a rejected image is first read: a suite keeps
 * only some images' rejected paths, and a replay would otherwise decode every one.
 */
export function rejectedPaths(paths: readonly PathEnd[], chosen: number, outcome: (id: number) => number, finals: (ids: number[]) => RGBImage[]): RejectedPath[] {
  const others = paths.filter((p) => p.id !== chosen);
  const ran = others.filter((p) => p.cutAfter === null).map((p) => p.id);
  let images: Map<number, RGBImage> | null = null;
  const imageOf = (id: number) => (images ??= new Map(finals(ran).map((image, k) => [ran[k], image]))).get(id)!;
  return others.map((p) =>
    p.cutAfter === null
      ? {
          path: p.id,
          cutAfter: null,
          pYes: outcome(p.id),
          get image() {
            return imageOf(p.id);
          },
        }
      : { path: p.id, cutAfter: p.cutAfter, pYes: p.potential?.pYes ?? null, image: null },
  );
}
