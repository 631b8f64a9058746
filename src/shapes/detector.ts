// The GenEval-Shapes detector: classical and pixel-level, the ruler every generated image is
// scored with. Foreground = colour far from the background; connected components, split where
// colours differ or where less than half covered; each object's coverage (alpha against the
// background along its own colour) is matched, by soft IoU after aligning means and spreads,
// against every class's template drawn from the signed distance functions the renderer uses,
// blurred as much as the object's edges are. Colour = nearest palette entry (CIELAB) of the
// object's purest pixels. Parts that fit no class may be same-coloured objects that touch: they
// are split by erosion when that fits better.
import type { Detection } from "../geneval/types.js";
import { nearestColor } from "./color.js";
import type { RGBImage } from "./image.js";
import {
  alphaOf,
  blurOf,
  componentColors,
  components,
  estimateBackground,
  linesFrom,
  MIN_AREA,
  nearestLine,
  outlineLength,
  purestColor,
  splitTouching,
} from "./segment.js";
import { matchTemplates, MIN_COVERAGE, type Match } from "./templates.js";
import type { RGB } from "./world.js";

/** RGB distance from the background above which a pixel may belong to an object (~30% of the faintest colour). */
const CANDIDATE_DIST = 30;
/** The alpha band counted as an edge's blurred part (its lower end clears CANDIDATE_DIST for every colour). */
const PARTIAL_LO = 0.3;
const PARTIAL_HI = 0.85;
/** Anti-aliasing spreads an edge like a Gaussian of about this sigma (a 1-pixel box has sd 0.29). */
const PIXEL_BLUR = 0.3;
/** A part matched less confidently than this may be objects run together: try splitting it. */
const SPLIT_BELOW = 0.9;
/** Soft IoU from which the fitted template's box is reported instead of the pixels' box. */
const FITTED_BOX = 0.8;
/** Pixels around a part's box that its aligned templates may still cover. */
const PAD = 3;

/**
 * Above 0.9 only when the object fits one class well (soft IoU above ~0.8), the runner-up fits
 * clearly worse (by more than ~0.03), and it is no speck (over ~32 pixels): each shortfall alone
 * pulls it down, so counting's 0.9 cut drops ambiguous blobs. The cut-offs sit below what blur,
 * noise, JPEG and resampling leave of clean shapes (see `imagecot bench detector`).
 */
function confidence(m: Match, area: number): number {
  const fit = (m.best - 0.6) / 0.22;
  const margin = (m.best - m.second) / 0.035;
  const size = area / (3 * MIN_AREA);
  return Math.min(Math.max(Math.min(fit, margin, size), 0), 1);
}

/** One image under analysis: what every component and part is judged against. */
interface Frame {
  img: RGBImage;
  bg: RGB;
  dist: Float32Array;
  /** candidate component of each pixel */
  labels: Int32Array;
  /** part (object) of each pixel of the component at hand, 0 for its rim */
  parts: Int32Array;
}

/** A part's detection: its box, its colour, and its class by template matching over its coverage. */
function describe(f: Frame, part: Int32Array, compId: number, blurPx: number): Detection {
  const { img, bg, dist, labels, parts } = f;
  const { width: w, height: h } = img;
  let x0 = w, y0 = h, x1 = 0, y1 = 0;
  for (const p of part) {
    const x = p % w, y = (p - x) / w;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  const rgb = purestColor(img, part, dist);
  // coverage by this part's colour, over its pixels and its component's rim (no other part's pixels)
  const id = parts[part[0]];
  const wx0 = x0 - PAD, wy0 = y0 - PAD, ww = x1 - x0 + 1 + 2 * PAD, wh = y1 - y0 + 1 + 2 * PAD;
  const win = new Float32Array(ww * wh);
  for (let y = Math.max(0, wy0); y < Math.min(h, wy0 + wh); y++)
    for (let x = Math.max(0, wx0); x < Math.min(w, wx0 + ww); x++) {
      const p = y * w + x, s = parts[p];
      if (labels[p] !== compId || (s !== 0 && s !== id)) continue;
      const a = alphaOf(img, p, bg, rgb);
      if (a >= MIN_COVERAGE) win[(y - wy0) * ww + x - wx0] = a < 1 ? a : 1;
    }
  const scale = Math.max(x1 - x0 + 1, y1 - y0 + 1) / 2;
  const m = matchTemplates(win, ww, wh, Math.hypot(blurPx, PIXEL_BLUR) / scale);
  // a well-fitted template knows where blurred tips and corners really end; otherwise the pixels' own box
  const box: Detection["box"] = m.best >= FITTED_BOX ? [wx0 + m.box[0], wy0 + m.box[1], wx0 + m.box[2], wy0 + m.box[3]] : [x0, y0, x1 + 1, y1 + 1];
  return { class: m.cls, box, confidence: confidence(m, part.length), color: nearestColor(rgb).color };
}

export function detect(image: RGBImage): Detection[] {
  const { width: w, height: h, data } = image;
  const n = w * h;
  const bg = estimateBackground(image);
  const dist = new Float32Array(n);
  const cand = new Uint8Array(n);
  for (let p = 0; p < n; p++) {
    const dr = data[3 * p] - bg[0], dg = data[3 * p + 1] - bg[1], db = data[3 * p + 2] - bg[2];
    dist[p] = Math.sqrt(dr * dr + dg * dg + db * db);
    cand[p] = dist[p] > CANDIDATE_DIST ? 1 : 0;
  }
  const f: Frame = { img: image, bg, dist, labels: new Int32Array(n), parts: new Int32Array(n) };
  const core = new Uint8Array(n);
  const found: Detection[] = [];
  for (const comp of components(cand, w, h, f.labels)) {
    if (comp.length < MIN_AREA) continue;
    const compId = f.labels[comp[0]];
    const colors = componentColors(image, comp, dist, bg).filter((c) => Math.hypot(c[0] - bg[0], c[1] - bg[1], c[2] - bg[2]) > CANDIDATE_DIST);
    if (colors.length === 0) continue;
    // alpha: how much of the pixel is object rather than background, along its own colour
    const lines = linesFrom(bg, colors);
    let partial = 0;
    for (const p of comp) {
      const k = colors.length === 1 ? 0 : nearestLine(image, p, bg, lines);
      const a = alphaOf(image, p, bg, colors[k]);
      core[p] = a >= 0.5 ? k + 1 : 0;
      if (a > PARTIAL_LO && a < PARTIAL_HI) partial++;
    }
    const blurPx = blurOf(partial, outlineLength(core, comp, w, h));
    // the objects' own extents: at least half object; a faint bridge of blur between two splits here
    const partList = components(core, w, h, f.parts, 1, comp);
    let nextId = partList.length + 1;
    for (const part of partList) {
      if (part.length < MIN_AREA) continue;
      const whole = describe(f, part, compId, blurPx);
      const pieces = whole.confidence < SPLIT_BELOW && part.length >= 2 * MIN_AREA ? splitTouching(part, w, h) : null;
      if (pieces) {
        const id = f.parts[part[0]];
        for (const pc of pieces) {
          for (const p of pc) f.parts[p] = nextId;
          nextId++;
        }
        const split = pieces.map((pc) => describe(f, pc, compId, blurPx));
        if (Math.min(...split.map((d) => d.confidence)) > whole.confidence) {
          found.push(...split);
          continue;
        }
        for (const p of part) f.parts[p] = id;
      }
      found.push(whole);
    }
    for (const p of comp) core[p] = f.parts[p] = 0;
  }
  return found.sort((a, b) => b.confidence - a.confidence);
}
