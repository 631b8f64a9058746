// Degradations like a VQ autoencoder's reconstructions: the detector must read through them.
// Each takes an image and a seeded stream and returns a new image; the input is never changed.
import type { Rng } from "../util/prng.js";
import { createImage, type RGBImage } from "./image.js";

export type Degradation = (img: RGBImage, rng: Rng) => RGBImage;

const uniform = (rng: Rng, a: number, b: number): number => a + (b - a) * rng();

/** Standard normal by Box-Muller (1 - u keeps the log finite). */
function normal(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

const clampByte = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

function mapPixels(img: RGBImage, f: (v: number, channel: number) => number): RGBImage {
  const out = createImage(img.width, img.height);
  for (let i = 0; i < img.data.length; i++) out.data[i] = clampByte(f(img.data[i], i % 3));
  return out;
}

/** Separable Gaussian blur, edges clamped. */
export function gaussianBlur(img: RGBImage, sigma: number): RGBImage {
  const r = Math.ceil(3 * sigma);
  const k = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const ksum = k.reduce((a, b) => a + b, 0);
  const { width: w, height: h } = img;
  const tmp = new Float32Array(w * h * 3);
  const out = createImage(w, h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let i = -r; i <= r; i++) s += k[i + r] * img.data[(y * w + Math.min(w - 1, Math.max(0, x + i))) * 3 + c];
        tmp[(y * w + x) * 3 + c] = s / ksum;
      }
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let i = -r; i <= r; i++) s += k[i + r] * tmp[(Math.min(h - 1, Math.max(0, y + i)) * w + x) * 3 + c];
        out.data[(y * w + x) * 3 + c] = clampByte(s / ksum);
      }
  return out;
}

/** Orthonormal DCT-II basis of size n: basis[u * n + x]. */
function dctBasis(n: number): Float64Array {
  const b = new Float64Array(n * n);
  for (let u = 0; u < n; u++)
    for (let x = 0; x < n; x++)
      b[u * n + x] = (u === 0 ? Math.sqrt(1 / n) : Math.sqrt(2 / n)) * Math.cos(((2 * x + 1) * u * Math.PI) / (2 * n));
  return b;
}

/**
 * Blockwise DCT of each plane with `quantise(coefficient, u, v)` applied, then the inverse:
 * JPEG's quantisation and a patch codec's loss of fine detail are both this with different steps.
 */
function blockDct(planes: Float64Array[], w: number, h: number, n: number, quantise: (c: number, u: number, v: number) => number): void {
  const b = dctBasis(n);
  const blk = new Float64Array(n * n), coef = new Float64Array(n * n);
  for (const p of planes)
    for (let by = 0; by < h; by += n)
      for (let bx = 0; bx < w; bx += n) {
        for (let y = 0; y < n; y++)
          for (let x = 0; x < n; x++) blk[y * n + x] = p[Math.min(h - 1, by + y) * w + Math.min(w - 1, bx + x)];
        for (let v = 0; v < n; v++)
          for (let u = 0; u < n; u++) {
            let s = 0;
            for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) s += b[v * n + y] * b[u * n + x] * blk[y * n + x];
            coef[v * n + u] = quantise(s, u, v);
          }
        for (let y = 0; y < n && by + y < h; y++)
          for (let x = 0; x < n && bx + x < w; x++) {
            let s = 0;
            for (let v = 0; v < n; v++) for (let u = 0; u < n; u++) s += b[v * n + y] * b[u * n + x] * coef[v * n + u];
            p[(by + y) * w + bx + x] = s;
          }
      }
}

function toYCbCr(img: RGBImage): Float64Array[] {
  const n = img.width * img.height;
  const [Y, Cb, Cr] = [new Float64Array(n), new Float64Array(n), new Float64Array(n)];
  for (let i = 0; i < n; i++) {
    const r = img.data[3 * i], g = img.data[3 * i + 1], b = img.data[3 * i + 2];
    Y[i] = 0.299 * r + 0.587 * g + 0.114 * b - 128;
    Cb[i] = -0.168736 * r - 0.331264 * g + 0.5 * b;
    Cr[i] = 0.5 * r - 0.418688 * g - 0.081312 * b;
  }
  return [Y, Cb, Cr];
}

function fromYCbCr([Y, Cb, Cr]: Float64Array[], w: number, h: number): RGBImage {
  const out = createImage(w, h);
  for (let i = 0; i < w * h; i++) {
    const y = Y[i] + 128;
    out.data[3 * i] = clampByte(y + 1.402 * Cr[i]);
    out.data[3 * i + 1] = clampByte(y - 0.344136 * Cb[i] - 0.714136 * Cr[i]);
    out.data[3 * i + 2] = clampByte(y + 1.772 * Cb[i]);
  }
  return out;
}

// The JPEG standard's luminance and chrominance tables (Annex K), quality 50.
const JPEG_LUMA = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
  18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];
const JPEG_CHROMA = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
  ...Array<number>(32).fill(99),
];

/** JPEG-like: YCbCr, 8x8 DCT quantised with the standard tables at `quality` (libjpeg's scaling). */
export function jpegLike(img: RGBImage, quality: number): RGBImage {
  const scale = quality < 50 ? 5000 / quality : 200 - 2 * quality;
  const step = (t: number[], u: number, v: number): number => Math.max(1, Math.floor((t[v * 8 + u] * scale + 50) / 100));
  const planes = toYCbCr(img);
  blockDct([planes[0]], img.width, img.height, 8, (c, u, v) => Math.round(c / step(JPEG_LUMA, u, v)) * step(JPEG_LUMA, u, v));
  blockDct(planes.slice(1), img.width, img.height, 8, (c, u, v) => Math.round(c / step(JPEG_CHROMA, u, v)) * step(JPEG_CHROMA, u, v));
  return fromYCbCr(planes, img.width, img.height);
}

/** A patch codec's look: each 4x4 block keeps only its low frequencies (u + v <= 2), so blocks show. */
export function blockLowpass(img: RGBImage, n = 4, keep = 2): RGBImage {
  const planes = toYCbCr(img);
  blockDct(planes, img.width, img.height, n, (c, u, v) => (u + v <= keep ? c : 0));
  return fromYCbCr(planes, img.width, img.height);
}

/** Box downsample by `f`, then bilinear upsample back to the original size. */
export function downUp(img: RGBImage, f: number): RGBImage {
  const { width: w, height: h } = img;
  const sw = Math.floor(w / f), sh = Math.floor(h / f);
  const small = new Float64Array(sw * sh * 3);
  for (let y = 0; y < sh * f; y++)
    for (let x = 0; x < sw * f; x++)
      for (let c = 0; c < 3; c++) small[(Math.floor(y / f) * sw + Math.floor(x / f)) * 3 + c] += img.data[(y * w + x) * 3 + c] / (f * f);
  const out = createImage(w, h);
  for (let y = 0; y < h; y++) {
    const sy = Math.min(Math.max((y + 0.5) / f - 0.5, 0), sh - 1);
    const y0 = Math.floor(sy), y1 = Math.min(y0 + 1, sh - 1), fy = sy - y0;
    for (let x = 0; x < w; x++) {
      const sx = Math.min(Math.max((x + 0.5) / f - 0.5, 0), sw - 1);
      const x0 = Math.floor(sx), x1 = Math.min(x0 + 1, sw - 1), fx = sx - x0;
      for (let c = 0; c < 3; c++) {
        const top = small[(y0 * sw + x0) * 3 + c] * (1 - fx) + small[(y0 * sw + x1) * 3 + c] * fx;
        const bot = small[(y1 * sw + x0) * 3 + c] * (1 - fx) + small[(y1 * sw + x1) * 3 + c] * fx;
        out.data[(y * w + x) * 3 + c] = clampByte(top * (1 - fy) + bot * fy);
      }
    }
  }
  return out;
}

export function gaussianNoise(img: RGBImage, sigma: number, rng: Rng): RGBImage {
  return mapPixels(img, (v) => v + sigma * normal(rng));
}

/** A global colour cast: a gain and an offset per channel. */
export function colorJitter(img: RGBImage, gain: number, offset: number, rng: Rng): RGBImage {
  const g = [0, 1, 2].map(() => 1 + uniform(rng, -gain, gain));
  const o = [0, 1, 2].map(() => uniform(rng, -offset, offset));
  return mapPixels(img, (v, c) => v * g[c] + o[c]);
}

/** The benchmark's degradations, by name; the strengths bracket what a 64x64 VQ autoencoder does. */
export const DEGRADATIONS: Readonly<Record<string, Degradation>> = {
  blur: (img, rng) => gaussianBlur(img, uniform(rng, 0.7, 1.0)),
  noise: (img, rng) => gaussianNoise(img, 8, rng),
  color_jitter: (img, rng) => colorJitter(img, 0.08, 12, rng),
  jpeg_q50: (img) => jpegLike(img, 50),
  block4: (img) => blockLowpass(img, 4, 2),
  down_up2: (img) => downUp(img, 2),
  vq_like: (img, rng) => gaussianNoise(colorJitter(blockLowpass(gaussianBlur(img, 0.7), 4, 3), 0.05, 8, rng), 4, rng),
};
