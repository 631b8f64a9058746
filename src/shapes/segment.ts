// Finding objects' pixels: the background, connected components, the colours a component is
// made of, how blurred its edges are, and splitting objects of one colour that run together.
import type { RGBImage } from "./image.js";
import { COLORS, PALETTE, type RGB } from "./world.js";

/** Components smaller than this (pixels) are specks: noise or stray marks, never objects. */
export const MIN_AREA = 12;
/** A colour counts as a component's own when this share of its purest pixels is nearest to it. */
const MIN_COLOR_SHARE = 0.2;
/** Pixels at least this far along their palette line are an object's own colour, not its rim. */
const PURE_ALPHA = 0.7;
/** Erosions tried to split a part, and the least pixels a core left by them must keep. */
const MAX_EROSIONS = 6;
const MIN_CORE = 3;

/** Per-channel median of the one-pixel border: the background, whatever colour cast the image has. */
export function estimateBackground(img: RGBImage): RGB {
  const { width: w, height: h } = img;
  const border: number[] = [];
  for (let x = 0; x < w; x++) border.push(x, (h - 1) * w + x);
  for (let y = 1; y < h - 1; y++) border.push(y * w, y * w + w - 1);
  return medianColor(img, border);
}

/** Per-channel median of the given pixels, by histogram. */
function medianColor(img: RGBImage, pixels: ArrayLike<number>): RGB {
  const out = [0, 0, 0];
  const hist = new Int32Array(256);
  for (let c = 0; c < 3; c++) {
    hist.fill(0);
    for (let i = 0; i < pixels.length; i++) hist[img.data[pixels[i] * 3 + c]]++;
    let v = 0;
    for (let seen = hist[0]; 2 * seen <= pixels.length; seen += hist[++v]);
    out[c] = v;
  }
  return out as unknown as RGB;
}

/**
 * 8-connected components of equal non-zero values of `mask`, among `seeds` (or the whole image);
 * writes ids from `firstId` on into `labels` (zero there on entry) and returns each one's pixels.
 */
export function components(mask: Uint8Array, w: number, h: number, labels: Int32Array, firstId = 1, seeds?: Int32Array): Int32Array[] {
  const out: Int32Array[] = [];
  const stack = new Int32Array(w * h);
  const n = seeds ? seeds.length : w * h;
  for (let s = 0; s < n; s++) {
    const seed = seeds ? seeds[s] : s;
    if (!mask[seed] || labels[seed]) continue;
    const id = firstId + out.length, value = mask[seed];
    const members: number[] = [];
    let top = 0;
    stack[top++] = seed;
    labels[seed] = id;
    while (top > 0) {
      const p = stack[--top];
      members.push(p);
      const x = p % w, y = (p - x) / w;
      for (let yy = Math.max(0, y - 1); yy <= Math.min(h - 1, y + 1); yy++)
        for (let xx = Math.max(0, x - 1); xx <= Math.min(w - 1, x + 1); xx++) {
          const q = yy * w + xx;
          if (mask[q] === value && !labels[q]) {
            labels[q] = id;
            stack[top++] = q;
          }
        }
    }
    out.push(Int32Array.from(members));
  }
  return out;
}

/** Per-channel median of the half of `pixels` farthest from the background (`dist`): an object's own colour, not its blurred rim. */
export function purestColor(img: RGBImage, pixels: ArrayLike<number>, dist: Float32Array): RGB {
  const sorted = Array.from(pixels).sort((a, b) => dist[b] - dist[a]);
  return medianColor(img, sorted.slice(0, Math.max(1, sorted.length >> 1)));
}

/**
 * The colours a component is made of: usually one (the median of its purest half), but objects
 * of different colours that touch, or whose blur meets, give several. Each pixel is named by the
 * palette line (background -> palette colour) it lies closest to; every name held by a fair
 * share of the pixels well along their line is a colour of its own.
 */
export function componentColors(img: RGBImage, comp: Int32Array, dist: Float32Array, bg: RGB): RGB[] {
  const named = new Map<number, number[]>();
  const lines = linesFrom(bg, PALETTE_RGB);
  let pure = 0;
  for (const p of comp) {
    const k = nearestLine(img, p, bg, lines);
    if (alphaOf(img, p, bg, PALETTE_RGB[k]) < PURE_ALPHA) continue;
    pure++;
    const list = named.get(k);
    if (list) list.push(p);
    else named.set(k, [p]);
  }
  const shares = [...named.values()].filter((ps) => ps.length >= Math.max(MIN_AREA / 2, pure * MIN_COLOR_SHARE));
  if (shares.length > 1) return shares.map((ps) => medianColor(img, ps));
  return [purestColor(img, comp, dist)];
}

const PALETTE_RGB: RGB[] = COLORS.map((c) => PALETTE[c]);

/** Lines from `bg` to each of `ends`, packed for nearestLine: direction x, y, z and 1 / its squared length. */
export function linesFrom(bg: RGB, ends: readonly RGB[]): Float64Array {
  const out = new Float64Array(4 * ends.length);
  ends.forEach((e, k) => {
    const ex = e[0] - bg[0], ey = e[1] - bg[1], ez = e[2] - bg[2];
    out.set([ex, ey, ez, 1 / Math.max(ex * ex + ey * ey + ez * ez, 1)], 4 * k);
  });
  return out;
}

/** Index of the line (see linesFrom) that pixel p lies closest to, alpha clamped to [0, 1]. */
export function nearestLine(img: RGBImage, p: number, bg: RGB, lines: Float64Array): number {
  const r = img.data[3 * p] - bg[0], g = img.data[3 * p + 1] - bg[1], b = img.data[3 * p + 2] - bg[2];
  let best = 0, bestD = Infinity;
  for (let k = 0; k < lines.length; k += 4) {
    const ex = lines[k], ey = lines[k + 1], ez = lines[k + 2];
    const t = Math.min(Math.max((r * ex + g * ey + b * ez) * lines[k + 3], 0), 1);
    const d = (r - t * ex) ** 2 + (g - t * ey) ** 2 + (b - t * ez) ** 2;
    if (d < bestD) [best, bestD] = [k >> 2, d];
  }
  return best;
}

/** How much of pixel p is colour `c` rather than background `bg` (unclamped). */
export function alphaOf(img: RGBImage, p: number, bg: RGB, c: RGB): number {
  const ox = c[0] - bg[0], oy = c[1] - bg[1], oz = c[2] - bg[2];
  return ((img.data[3 * p] - bg[0]) * ox + (img.data[3 * p + 1] - bg[1]) * oy + (img.data[3 * p + 2] - bg[2]) * oz) / (ox * ox + oy * oy + oz * oz);
}

/** Pixels of `comp` in `mask` with a 4-neighbour outside it: the length of its outline. */
export function outlineLength(mask: Uint8Array, comp: Int32Array, w: number, h: number): number {
  let n = 0;
  for (const p of comp) {
    if (!mask[p]) continue;
    const x = p % w;
    if (x === 0 || x === w - 1 || p < w || p >= w * (h - 1) || !mask[p - 1] || !mask[p + 1] || !mask[p - w] || !mask[p + w]) n++;
  }
  return n;
}

/**
 * Gaussian blur (sigma, pixels) from how many pixels are part object, part background per unit
 * of outline: ~0.64 for a sharp anti-aliased edge, growing ~1.85 per pixel of sigma (measured on
 * renders blurred by known amounts).
 */
export function blurOf(partial: number, outline: number): number {
  const ratio = partial / Math.max(outline, 1);
  return Math.sqrt(Math.max(ratio * ratio - 0.64 * 0.64, 0)) / 1.85;
}

/**
 * Splits a part that may be objects of one colour run together: erodes it until it falls into
 * two or more cores, then gives every pixel to the core nearest along the part (breadth-first).
 * Null when erosion never separates it.
 */
export function splitTouching(part: Int32Array, w: number, h: number): Int32Array[] | null {
  let mask = new Uint8Array(w * h);
  for (const p of part) mask[p] = 1;
  let cur = Array.from(part);
  for (let e = 0; e < MAX_EROSIONS; e++) {
    const inside = (q: number, dx: number, dy: number): boolean => {
      const x = (q % w) + dx, y = Math.floor(q / w) + dy;
      return x >= 0 && y >= 0 && x < w && y < h && mask[y * w + x] === 1;
    };
    cur = cur.filter((q) => inside(q, -1, 0) && inside(q, 1, 0) && inside(q, 0, -1) && inside(q, 0, 1));
    mask = new Uint8Array(w * h);
    for (const q of cur) mask[q] = 1;
    const cores = components(mask, w, h, new Int32Array(w * h), 1, Int32Array.from(cur)).filter((c) => c.length >= MIN_CORE);
    if (cores.length < 2) {
      if (cur.length < 2 * MIN_CORE) return null;
      continue;
    }
    // breadth-first from every core at once, through the part's pixels
    const owner = new Int32Array(w * h).fill(-1);
    const inPart = new Uint8Array(w * h);
    for (const p of part) inPart[p] = 1;
    let frontier: number[] = [];
    cores.forEach((c, k) => c.forEach((p) => ((owner[p] = k), frontier.push(p))));
    while (frontier.length > 0) {
      const next: number[] = [];
      for (const p of frontier) {
        const x = p % w, y = (p - x) / w;
        for (let yy = Math.max(0, y - 1); yy <= Math.min(h - 1, y + 1); yy++)
          for (let xx = Math.max(0, x - 1); xx <= Math.min(w - 1, x + 1); xx++) {
            const q = yy * w + xx;
            if (inPart[q] && owner[q] < 0) {
              owner[q] = owner[p];
              next.push(q);
            }
          }
      }
      frontier = next;
    }
    const pieces = cores.map((_, k) => Int32Array.from(Array.from(part).filter((p) => owner[p] === k)));
    return pieces.every((pc) => pc.length >= MIN_AREA) ? pieces : null;
  }
  return null;
}
