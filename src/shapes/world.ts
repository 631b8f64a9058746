// The GenEval-Shapes world: its object classes, the ten GenEval colours as an RGB palette, the
// background, and the image size. Everything else in src/shapes draws or reads these.
import { makePlural, MAX_COUNT, numberWord } from "../geneval/suite.js";
import { COLORS, RELATIONS, type Color } from "../geneval/types.js";

/** Classes chosen to stay distinct at ~12 px, under blur and blockiness (see geometry.ts). */
export const SHAPE_CLASSES = ["circle", "square", "triangle", "star", "cross", "ring", "heart", "diamond"] as const;
export type ShapeClass = (typeof SHAPE_CLASSES)[number];

export type RGB = readonly [number, number, number];

/**
 * sRGB values picked so every pair of colours is >= 41 CIELAB units apart (blue/purple, the
 * closest) and each stays >= 41 from the background, so blur and jitter never swap names.
 */
export const PALETTE: Readonly<Record<Color, RGB>> = {
  red: [215, 35, 35],
  orange: [245, 135, 20],
  yellow: [245, 225, 30],
  green: [40, 160, 60],
  blue: [25, 100, 235],
  purple: [145, 35, 170],
  pink: [245, 140, 200],
  brown: [120, 60, 20],
  black: [20, 20, 20],
  white: [240, 240, 240],
};

/** Mid grey: black and white objects both stand out from it. */
export const BACKGROUND: RGB = [128, 128, 128];

export const DEFAULT_IMAGE_SIZE = 64;

export { COLORS };

export function isShapeClass(name: string): name is ShapeClass {
  return (SHAPE_CLASSES as readonly string[]).includes(name);
}

/** Every word a prompt of this world may use: GenEval's template words, classes, plurals, colours, numbers, relations. */
export const WORLD_VOCABULARY: readonly string[] = [
  ...new Set([
    ...["a", "an", "photo", "of", "and"],
    ...SHAPE_CLASSES,
    ...SHAPE_CLASSES.map(makePlural),
    ...COLORS,
    ...Array.from({ length: MAX_COUNT - 1 }, (_, i) => numberWord(i + 2)),
    ...RELATIONS.flatMap((r) => r.split(" ")),
  ]),
].sort();
