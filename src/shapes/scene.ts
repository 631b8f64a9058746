// Scenes for a prompt's metadata: random layouts that satisfy it (counts exact, colours as asked,
// relations held with margin, no overlaps) and near misses that break exactly one requirement.
import type { Box, Color, Detection, Include, PromptMeta, Relation } from "../geneval/types.js";
import { POSITION_THRESHOLD } from "../geneval/rules.js";
import { mulberry32, randInt, type Rng } from "../util/prng.js";
import { GEOMETRY } from "./geometry.js";
import { objectBox, type Scene, type ShapeObject } from "./render.js";
import { COLORS, DEFAULT_IMAGE_SIZE, isShapeClass, SHAPE_CLASSES, type ShapeClass } from "./world.js";

/** Each object's include entry, so relations and near misses know whose it is. */
interface Placed extends ShapeObject {
  group: number;
}

export type NearMissKind = "count" | "color" | "position" | "class" | "missing";
export const NEAR_MISS_KINDS: readonly NearMissKind[] = ["count", "color", "position", "class", "missing"];

export interface NearMiss {
  kind: NearMissKind;
  /** The requirement broken, in words: "three circles instead of two". */
  breaks: string;
  scene: Scene;
}

export interface SceneOptions {
  /** image side, pixels (default 64) */
  size?: number;
}

/** Distance kept from the image border and between objects' boxes (pixels at 64): blur must not join them. */
const BORDER = 2;
const GAP = 4;
/** How far past GenEval's 0.5 cut-off a relation must hold, so a few pixels of blur never flip it. */
const RELATION_MARGIN = 0.15;
const ATTEMPTS = 2000;

/** Scale range (half the longer side, pixels at 64) by number of objects: smaller when more must fit. */
function scaleRange(objects: number): [number, number] {
  if (objects <= 1) return [9, 15];
  if (objects === 2) return [7.5, 12];
  if (objects === 3) return [7, 10];
  return [6.5, 9];
}

const uniform = (rng: Rng, a: number, b: number): number => a + (b - a) * rng();
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[randInt(rng, xs.length)];

function shapeClass(name: string): ShapeClass {
  if (!isShapeClass(name)) throw new Error(`'${name}' is not a class of this world (valid: ${SHAPE_CLASSES.join(", ")})`);
  return name;
}

/** By how much (in GenEval's normalised units) `rel` holds of box a against box b; negative: it does not. */
export function relationMargin(a: Box, b: Box, rel: Relation): number {
  const off = [(a[0] + a[2]) / 2 - (b[0] + b[2]) / 2, (a[1] + a[3]) / 2 - (b[1] + b[3]) / 2];
  const dims = [a[2] - a[0] + b[2] - b[0], a[3] - a[1] + b[3] - b[1]];
  const norm = Math.hypot(off[0], off[1]);
  if (norm === 0) return -1;
  const [dx, dy] = off.map((o, i) => (Math.max(Math.abs(o) - POSITION_THRESHOLD * dims[i], 0) * Math.sign(o)) / norm);
  const by: Record<Relation, number> = { "left of": -dx - 0.5, "right of": dx - 0.5, above: -dy - 0.5, below: dy - 0.5 };
  return by[rel];
}

const OPPOSITE: Record<Relation, Relation> = { "left of": "right of", "right of": "left of", above: "below", below: "above" };

/** The objects the metadata asks for, before layout: classes, colours and groups. */
function objectsFor(meta: PromptMeta, rng: Rng): Omit<Placed, "cx" | "cy" | "scale">[] {
  const objs = meta.include.flatMap((inc, group) =>
    Array.from({ length: inc.count }, () => ({ class: shapeClass(inc.class), color: inc.color ?? pick(rng, COLORS), group })),
  );
  for (const exc of meta.exclude ?? []) {
    if (objs.filter((o) => o.class === exc.class).length >= exc.count) throw new Error(`'${meta.prompt}': its includes already break its exclude ${exc.class}<${exc.count}`);
  }
  return objs;
}

/** Every relation of the metadata, as (object group, target group, relation). */
function relations(meta: PromptMeta): [number, number, Relation][] {
  return meta.include.flatMap((inc, i) => (inc.position ? [[i, inc.position[1], inc.position[0]] as [number, number, Relation]] : []));
}

function fits(objs: Placed[], size: number, unit: number): boolean {
  const boxes = objs.map(objectBox);
  const gap = GAP * unit, border = BORDER * unit;
  return boxes.every((b, i) => {
    if (b[0] < border || b[1] < border || b[2] > size - border || b[3] > size - border) return false;
    for (let j = 0; j < i; j++) {
      const c = boxes[j];
      if (b[0] < c[2] + gap && c[0] < b[2] + gap && b[1] < c[3] + gap && c[1] < b[3] + gap) return false;
    }
    return true;
  });
}

function relationsHold(objs: Placed[], rels: [number, number, Relation][], margin: number): boolean {
  return rels.every(([g, t, rel]) =>
    objs.filter((o) => o.group === g).every((o) => objs.filter((p) => p.group === t).every((p) => relationMargin(objectBox(o), objectBox(p), rel) >= margin)),
  );
}

/** Random sizes and positions for `specs` until they fit and every relation holds with margin. */
function layout(specs: Omit<Placed, "cx" | "cy" | "scale">[], rels: [number, number, Relation][], size: number, rng: Rng): Placed[] {
  const unit = size / DEFAULT_IMAGE_SIZE;
  const [lo, hi] = scaleRange(specs.length);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    // shrink slowly if the first tries find no room
    const shrink = 1 - 0.25 * (attempt / ATTEMPTS);
    const objs = specs.map((s) => {
      const scale = uniform(rng, lo, hi) * unit * shrink;
      const g = GEOMETRY[s.class];
      const mx = g.halfW * scale + BORDER * unit, my = g.halfH * scale + BORDER * unit;
      return { ...s, scale, cx: uniform(rng, mx, size - mx), cy: uniform(rng, my, size - my) };
    });
    if (fits(objs, size, unit) && relationsHold(objs, rels, RELATION_MARGIN)) return objs;
  }
  throw new Error(`no layout found for ${specs.length} objects in ${size}x${size}`);
}

const toScene = (objs: Placed[], size: number): Scene => ({
  size,
  objects: objs.map(({ class: c, color, cx, cy, scale }) => ({ class: c, color, cx, cy, scale })),
});

/** A random scene that satisfies `meta`; objects with no colour asked get random ones. */
export function sampleScene(meta: PromptMeta, rng: Rng, opts: SceneOptions = {}): Scene {
  const size = opts.size ?? DEFAULT_IMAGE_SIZE;
  return toScene(layout(objectsFor(meta, rng), relations(meta), size, rng), size);
}

/** The near-miss kinds that can break `meta`: count needs a counted include, colour a colour, position a relation. */
export function nearMissKinds(meta: PromptMeta): NearMissKind[] {
  return NEAR_MISS_KINDS.filter((k) => {
    if (k === "count") return meta.include.some((inc) => inc.count >= 2);
    if (k === "color") return meta.include.some((inc) => inc.color !== undefined);
    if (k === "position") return meta.include.some((inc) => inc.position !== undefined);
    return true;
  });
}

const plural = (n: number, cls: string): string => `${n} ${cls}${n === 1 ? "" : "s"}`;

/**
 * A scene that satisfies every requirement of `meta` but one, of the given kind: one counted
 * group off by one (count), one object recoloured (color), an object and its target swapped
 * (position), one object of a class the prompt never names (class), one object gone (missing).
 */
export function sampleNearMiss(meta: PromptMeta, kind: NearMissKind, rng: Rng, opts: SceneOptions = {}): NearMiss {
  const size = opts.size ?? DEFAULT_IMAGE_SIZE;
  if (!nearMissKinds(meta).includes(kind)) throw new Error(`near miss '${kind}' cannot break '${meta.prompt}'`);
  const specs = objectsFor(meta, rng);
  const rels = relations(meta);
  const groupOf = (pred: (inc: Include) => boolean): number => pick(rng, meta.include.flatMap((inc, i) => (pred(inc) ? [i] : [])));
  const firstOf = (g: number): number => specs.findIndex((s) => s.group === g);

  if (kind === "count") {
    const g = groupOf((inc) => inc.count >= 2);
    const inc = meta.include[g];
    // one more only where an exclude forbids it; one fewer always breaks the include
    const capped = (meta.exclude ?? []).some((e) => e.class === inc.class && e.count === inc.count + 1);
    const more = capped && rng() < 0.5;
    if (more) specs.push({ ...specs[firstOf(g)], color: inc.color ?? pick(rng, COLORS) });
    else specs.splice(firstOf(g), 1);
    const n = inc.count + (more ? 1 : -1);
    return { kind, breaks: `${plural(n, inc.class)} instead of ${inc.count}`, scene: toScene(layout(specs, rels, size, rng), size) };
  }
  if (kind === "color") {
    const g = groupOf((inc) => inc.color !== undefined);
    const i = firstOf(g);
    const wrong = pick(rng, COLORS.filter((c) => c !== specs[i].color));
    specs[i] = { ...specs[i], color: wrong };
    return { kind, breaks: `a ${wrong} ${specs[i].class} instead of ${meta.include[g].color}`, scene: toScene(layout(specs, rels, size, rng), size) };
  }
  if (kind === "position") {
    const g = groupOf((inc) => inc.position !== undefined);
    const [rel, t] = meta.include[g].position as [Relation, number];
    const swapped = rels.map(([a, b, r]): [number, number, Relation] => (a === g && b === t ? [a, b, OPPOSITE[r]] : [a, b, r]));
    const objs = layout(specs, swapped, size, rng);
    return { kind, breaks: `${meta.include[g].class} ${OPPOSITE[rel]} ${meta.include[t].class} instead of ${rel}`, scene: toScene(objs, size) };
  }
  if (kind === "class") {
    const named = new Set([...meta.include.map((inc) => inc.class), ...(meta.exclude ?? []).map((e) => e.class)]);
    const other = pick(rng, SHAPE_CLASSES.filter((c) => !named.has(c)));
    const i = randInt(rng, specs.length);
    const was = specs[i].class;
    // the stranger belongs to no group: relations of the group it left no longer bind it
    specs[i] = { ...specs[i], class: other, group: -1 };
    return { kind, breaks: `a ${other} instead of a ${was}`, scene: toScene(layout(specs, rels, size, rng), size) };
  }
  const i = randInt(rng, specs.length);
  const [gone] = specs.splice(i, 1);
  return { kind, breaks: `no ${gone.class} (${meta.include[gone.group].count} asked)`, scene: toScene(layout(specs, rels, size, rng), size) };
}

/** The scene's true objects as detections (confidence 1): the rules' verdict on a perfect detector. */
export function sceneDetections(scene: Scene): Detection[] {
  return scene.objects.map((o) => ({ class: o.class, box: objectBox(o), confidence: 1, color: o.color as Color }));
}

/** The random stream of one image: sample `sample` of prompt `prompt` under `seed` (streams never share state). */
export function sceneRng(seed: number, prompt: number, sample: number): Rng {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b);
  for (const v of [prompt, sample]) h = Math.imul((h ^ v) + 0x6b43a9b5, 0xc2b2ae35) ^ (h >>> 13);
  return mulberry32(h >>> 0);
}
