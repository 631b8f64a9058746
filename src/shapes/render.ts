// Draws a scene: each object's signed distance gives its pixel coverage (clamp(0.5 - d, 0, 1)),
// so edges are anti-aliased and the same scene always gives the same bytes.
import type { Box, Color } from "../geneval/types.js";
import { GEOMETRY } from "./geometry.js";
import { createImage, type RGBImage } from "./image.js";
import { BACKGROUND, PALETTE, type ShapeClass } from "./world.js";

export interface ShapeObject {
  class: ShapeClass;
  color: Color;
  /** centre of the object's tight box, pixels */
  cx: number;
  cy: number;
  /** pixels per canonical unit: half the longer side of the tight box */
  scale: number;
}

export interface Scene {
  size: number;
  objects: ShapeObject[];
}

/** The object's tight box in pixels [x0, y0, x1, y1]. */
export function objectBox(o: ShapeObject): Box {
  const g = GEOMETRY[o.class];
  return [o.cx - g.halfW * o.scale, o.cy - g.halfH * o.scale, o.cx + g.halfW * o.scale, o.cy + g.halfH * o.scale];
}

export function renderScene(scene: Scene): RGBImage {
  const img = createImage(scene.size, scene.size);
  const d = img.data;
  for (let i = 0; i < d.length; i += 3) {
    d[i] = BACKGROUND[0];
    d[i + 1] = BACKGROUND[1];
    d[i + 2] = BACKGROUND[2];
  }
  for (const o of scene.objects) drawObject(img, o);
  return img;
}

function drawObject(img: RGBImage, o: ShapeObject): void {
  const { sdf } = GEOMETRY[o.class];
  const [r, g, b] = PALETTE[o.color];
  const [bx0, by0, bx1, by1] = objectBox(o);
  const x0 = Math.max(0, Math.floor(bx0 - 1)), x1 = Math.min(img.width, Math.ceil(bx1 + 1));
  const y0 = Math.max(0, Math.floor(by0 - 1)), y1 = Math.min(img.height, Math.ceil(by1 + 1));
  const inv = 1 / o.scale;
  const d = img.data;
  for (let y = y0; y < y1; y++) {
    const v = (y + 0.5 - o.cy) * inv;
    for (let x = x0; x < x1; x++) {
      const cov = 0.5 - sdf((x + 0.5 - o.cx) * inv, v) * o.scale;
      if (cov <= 0) continue;
      const a = cov >= 1 ? 1 : cov;
      const i = (y * img.width + x) * 3;
      d[i] = Math.round(d[i] + (r - d[i]) * a);
      d[i + 1] = Math.round(d[i + 1] + (g - d[i + 1]) * a);
      d[i + 2] = Math.round(d[i + 2] + (b - d[i + 2]) * a);
    }
  }
}
