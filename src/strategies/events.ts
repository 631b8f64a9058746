// Live events of a generation, so a watcher (the web page) can see the reasoning tree grow.
// Strategies emit them only when the context has a sink: intermediate images are decoded and
// encoded for events only then, because decoding every step of every path costs time.
import type { PathStep, StepSession } from "../generator/step-generator.js";
import type { Question, Verdict } from "../judges/judge.js";
import { createImage, encodePng, type RGBImage } from "../shapes/image.js";

/** Thumbnails are at most this many pixels a side, to keep events small. */
export const THUMBNAIL = 64;

export type StrategyEvent =
  /** a set of paths starts decoding: N of them, or again for each PARM++ round */
  | { type: "begin"; paths: number; steps: number }
  /** every live path's intermediate image after a step (base64 PNG thumbnails) */
  | { type: "step"; step: number; paths: { path: number; masked: number; image: string }[] }
  /** the judge's answers to one batch of questions; step is null for final images */
  | { type: "verdicts"; question: Question; verdicts: { path: number; step: number | null; pYes: number }[] }
  /** a path truncated after this step: its remaining steps are never computed */
  | { type: "cut"; path: number; step: number }
  /** step-level search: the candidate kept at this step, branched from at the next */
  | { type: "select"; step: number; path: number }
  /** the path whose final image is chosen (full-size base64 PNG) */
  | { type: "chosen"; path: number; image: string; via?: "survivors" | "fallback" }
  /** PARM++: the judge's check of the chosen image; a no starts another round */
  | { type: "reflection"; pYes: number; reason: string | null };

/** Receives events; a returned promise is awaited, so a sink may pause (or abort) the run. */
export type EventSink = (e: StrategyEvent) => void | Promise<void>;

export function pngBase64(img: RGBImage): string {
  return encodePng(img).toString("base64");
}

/** Box-filtered downscale by a whole factor so the longer side is at most `size`. */
export function thumbnail(img: RGBImage, size = THUMBNAIL): RGBImage {
  const f = Math.ceil(Math.max(img.width, img.height) / size);
  if (f <= 1) return img;
  const w = Math.floor(img.width / f), h = Math.floor(img.height / f);
  const out = createImage(w, h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let dy = 0; dy < f; dy++) for (let dx = 0; dx < f; dx++) s += img.data[((y * f + dy) * img.width + x * f + dx) * 3 + c];
        out.data[(y * w + x) * 3 + c] = Math.round(s / (f * f));
      }
  return out;
}

/** The step event of one session step; asks for the predictions' images only when there is a sink. */
export async function emitStep(sink: EventSink | undefined, session: StepSession, results: readonly PathStep[]): Promise<void> {
  if (sink && results.length > 0) await emitStepImages(sink, results, await session.images(results));
}

/** The step event from predictions already decoded (images[k] of results[k]). */
export async function emitStepImages(sink: EventSink | undefined, results: readonly PathStep[], images: readonly RGBImage[]): Promise<void> {
  if (!sink || results.length === 0) return;
  const paths = results.map((r, k) => ({ path: r.path, masked: r.masked, image: pngBase64(thumbnail(images[k])) }));
  await sink({ type: "step", step: results[0].step, paths });
}

/** One verdicts event: asked[k] is the (path, step) that verdicts[k] answers. */
export async function emitVerdicts(
  sink: EventSink | undefined,
  question: Question,
  asked: readonly { path: number; step: number | null }[],
  verdicts: readonly Verdict[],
): Promise<void> {
  await sink?.({ type: "verdicts", question, verdicts: asked.map((a, k) => ({ path: a.path, step: a.step, pYes: verdicts[k].pYes })) });
}

export async function emitChosen(sink: EventSink | undefined, path: number, image: RGBImage, via?: "survivors" | "fallback"): Promise<void> {
  if (sink) await sink({ type: "chosen", path, image: pngBase64(image), ...(via ? { via } : {}) });
}
