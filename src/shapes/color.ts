// Colour naming: the nearest palette colour in CIELAB, where distance follows what people see.
import type { Color } from "../geneval/types.js";
import { COLORS, PALETTE, type RGB } from "./world.js";

const toLinear = (c: number): number => ((c /= 255) <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
const f = (t: number): number => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);

/** sRGB (0..255) to CIELAB under D65. */
export function rgbToLab([r8, g8, b8]: RGB): [number, number, number] {
  const r = toLinear(r8), g = toLinear(g8), b = toLinear(b8);
  const x = f((0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047);
  const y = f(0.2126 * r + 0.7152 * g + 0.0722 * b);
  const z = f((0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883);
  return [116 * y - 16, 500 * (x - y), 200 * (y - z)];
}

const PALETTE_LAB = COLORS.map((c) => rgbToLab(PALETTE[c]));

/** The palette colour nearest to `rgb`, and its distance in CIELAB units. */
export function nearestColor(rgb: RGB): { color: Color; distance: number } {
  const [l, a, b] = rgbToLab(rgb);
  let best = 0, bestD = Infinity;
  for (let i = 0; i < PALETTE_LAB.length; i++) {
    const [pl, pa, pb] = PALETTE_LAB[i];
    const d = (l - pl) ** 2 + (a - pa) ** 2 + (b - pb) ** 2;
    if (d < bestD) [best, bestD] = [i, d];
  }
  return { color: COLORS[best], distance: Math.sqrt(bestD) };
}
