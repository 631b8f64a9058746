// What each class looks like to the detector: its coverage after a Gaussian blur of a given
// strength, on a fine raster, with the moments the detector aligns it by. Blur rounds corners,
// fills notches and pulls tips in, so a blurred image is matched against equally blurred
// templates. Derived from geometry.ts alone: nothing here is learned. Matching an object's
// coverage against them gives its class and how well it fits.
import { GEOMETRY } from "./geometry.js";
import { SHAPE_CLASSES, type ShapeClass } from "./world.js";

/** Blur strengths of the templates: Gaussian sigma over the object's scale (half its longer side). */
const BLUR_LEVELS = [0, 0.04, 0.08, 0.12, 0.16, 0.2, 0.24];
/** Templates tried around a measured blur (sigma / scale): the measure is rough. */
const BLUR_REACH = 0.06;
/** Coverage below this counts as background, in templates and images alike (the image's faint rim is cut off). */
export const MIN_COVERAGE = 0.3;

const RASTER = 80;
const EXTENT = 1.25; // canonical units each side of the centre: room for the blur
const PPU = RASTER / (2 * EXTENT);

interface Template {
  /** RASTER x RASTER coverage, 0 below MIN_COVERAGE */
  raster: Float32Array;
  /** coverage-weighted mean and variance of x and y, raster pixels (centres at i + 0.5) */
  mx: number;
  my: number;
  vx: number;
  vy: number;
  /** the sharp shape's tight box [x0, y0, x1, y1], raster pixels: where a fitted template says the object ends */
  box: [number, number, number, number];
}

function blurRaster(src: Float32Array, sigma: number): Float32Array {
  if (sigma === 0) return src;
  const r = Math.ceil(3 * sigma);
  const k = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const ks = k.reduce((a, b) => a + b, 0);
  const tmp = new Float32Array(src.length), out = new Float32Array(src.length);
  const pass = (from: Float32Array, to: Float32Array, horizontal: boolean): void => {
    for (let y = 0; y < RASTER; y++)
      for (let x = 0; x < RASTER; x++) {
        let s = 0;
        for (let i = -r; i <= r; i++) {
          const xx = horizontal ? x + i : x, yy = horizontal ? y : y + i;
          if (xx >= 0 && yy >= 0 && xx < RASTER && yy < RASTER) s += k[i + r] * from[yy * RASTER + xx];
        }
        to[y * RASTER + x] = s / ks;
      }
  };
  pass(src, tmp, true);
  pass(tmp, out, false);
  return out;
}

function template(cls: ShapeClass, level: number): Template {
  const { sdf, halfW, halfH } = GEOMETRY[cls];
  const cov = new Float32Array(RASTER * RASTER);
  for (let y = 0; y < RASTER; y++)
    for (let x = 0; x < RASTER; x++) {
      const d = sdf((x + 0.5) / PPU - EXTENT, (y + 0.5) / PPU - EXTENT) * PPU;
      cov[y * RASTER + x] = Math.min(Math.max(0.5 - d, 0), 1);
    }
  // the canonical frame's scale is 1 unit, so sigma = level units
  const raster = blurRaster(cov, level * PPU);
  let m = 0, sx = 0, sy = 0, sxx = 0, syy = 0;
  for (let y = 0; y < RASTER; y++)
    for (let x = 0; x < RASTER; x++) {
      const i = y * RASTER + x;
      if (raster[i] < MIN_COVERAGE) raster[i] = 0;
      const w = raster[i];
      m += w;
      sx += w * (x + 0.5);
      sy += w * (y + 0.5);
      sxx += w * (x + 0.5) ** 2;
      syy += w * (y + 0.5) ** 2;
    }
  const mx = sx / m, my = sy / m;
  const box: Template["box"] = [(EXTENT - halfW) * PPU, (EXTENT - halfH) * PPU, (EXTENT + halfW) * PPU, (EXTENT + halfH) * PPU];
  return { raster, mx, my, vx: sxx / m - mx * mx, vy: syy / m - my * my, box };
}

/** TEMPLATES[class index][level index], in SHAPE_CLASSES and BLUR_LEVELS order: computed once, at load. */
const TEMPLATES: Template[][] = SHAPE_CLASSES.map((c) => BLUR_LEVELS.map((l) => template(c, l)));

export interface Match {
  cls: ShapeClass;
  /** soft IoU of the best class, and of the runner-up class */
  best: number;
  second: number;
  /** the best template's box, placed as it was fitted: window pixels */
  box: [number, number, number, number];
}

/**
 * Soft IoU of an object's coverage `a` (a window `ww` x `wh`, 0 outside the object) with every
 * class's templates whose blur is within reach of `blur` (sigma / scale), each template aligned
 * to the object by its coverage-weighted mean and spread; each class keeps its best level.
 */
export function matchTemplates(a: Float32Array, ww: number, wh: number, blur: number): Match {
  let m = 0, sx = 0, sy = 0, sxx = 0, syy = 0;
  for (let y = 0; y < wh; y++)
    for (let x = 0; x < ww; x++) {
      const v = a[y * ww + x];
      m += v;
      sx += v * (x + 0.5);
      sy += v * (y + 0.5);
      sxx += v * (x + 0.5) ** 2;
      syy += v * (y + 0.5) ** 2;
    }
  const mx = sx / m, my = sy / m, vx = sxx / m - mx * mx, vy = syy / m - my * my;
  let best = -1, second = -1, bestIdx = 0, bestFit: [Template, number] = [TEMPLATES[0][0], 1];
  for (let k = 0; k < TEMPLATES.length; k++) {
    let iou = 0, fit: [Template, number] = [TEMPLATES[k][0], 1];
    for (let l = 0; l < BLUR_LEVELS.length; l++) {
      if (Math.abs(BLUR_LEVELS[l] - blur) > BLUR_REACH) continue;
      const t = TEMPLATES[k][l], raster = t.raster;
      // raster pixels per image pixel: one scale for both axes, so a stretched blob (two
      // objects run together) fits no class well
      const kr = Math.sqrt((t.vx + t.vy) / (vx + vy));
      let inter = 0, union = 0;
      for (let y = 0; y < wh; y++) {
        const ry = Math.floor(t.my + (y + 0.5 - my) * kr);
        const row = ry >= 0 && ry < RASTER ? ry * RASTER : -1;
        for (let x = 0; x < ww; x++) {
          const rx = Math.floor(t.mx + (x + 0.5 - mx) * kr);
          const tv = row >= 0 && rx >= 0 && rx < RASTER ? raster[row + rx] : 0;
          const o = a[y * ww + x];
          inter += o < tv ? o : tv;
          union += o < tv ? tv : o;
        }
      }
      if (inter / union > iou) [iou, fit] = [inter / union, [t, kr]];
    }
    if (iou > best) [second, best, bestIdx, bestFit] = [best, iou, k, fit];
    else if (iou > second) second = iou;
  }
  const [t, kr] = bestFit;
  const box = t.box.map((v, i) => (i % 2 === 0 ? mx + (v - t.mx) / kr : my + (v - t.my) / kr)) as Match["box"];
  return { cls: SHAPE_CLASSES[bestIdx], best, second, box };
}
