import assert from "node:assert/strict";
import { test } from "node:test";
import { objectBox, renderScene, type Scene } from "../../src/shapes/render.js";
import { BACKGROUND, PALETTE, SHAPE_CLASSES } from "../../src/shapes/world.js";

const pixel = (data: Uint8Array, w: number, x: number, y: number): number[] => Array.from(data.slice((y * w + x) * 3, (y * w + x) * 3 + 3));

test("the same scene renders to the same bytes", () => {
  const scene: Scene = { size: 64, objects: [{ class: "star", color: "red", cx: 20.3, cy: 30.7, scale: 9.1 }, { class: "ring", color: "blue", cx: 45, cy: 20, scale: 8 }] };
  assert.deepEqual(renderScene(scene).data, renderScene(structuredClone(scene)).data);
});

test("edges are anti-aliased between the object's colour and the background; inside and outside are exact", () => {
  const img = renderScene({ size: 64, objects: [{ class: "circle", color: "blue", cx: 32, cy: 32, scale: 10.3 }] });
  assert.deepEqual(pixel(img.data, 64, 32, 32), [...PALETTE.blue]);
  assert.deepEqual(pixel(img.data, 64, 2, 2), [...BACKGROUND]);
  // along the row through the centre the red channel runs from background (128) to blue (25)
  const row = Array.from({ length: 64 }, (_, x) => pixel(img.data, 64, x, 32)[0]);
  const between = row.filter((v) => v < BACKGROUND[0] && v > PALETTE.blue[0]);
  assert.ok(between.length >= 2, `expected blended edge pixels, got row ${row.join(",")}`);
});

test("every class fills its own box: coloured pixels reach each side of objectBox, none beyond it", () => {
  for (const cls of SHAPE_CLASSES) {
    const o = { class: cls, color: "white" as const, cx: 31.5, cy: 32.25, scale: 12 };
    const img = renderScene({ size: 64, objects: [o] });
    let x0 = 64, y0 = 64, x1 = -1, y1 = -1;
    for (let y = 0; y < 64; y++)
      for (let x = 0; x < 64; x++)
        if (pixel(img.data, 64, x, y)[0] - BACKGROUND[0] > 40) [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
    const [bx0, by0, bx1, by1] = objectBox(o);
    for (const [got, want] of [[x0, bx0], [y0, by0], [x1 + 1, bx1], [y1 + 1, by1]]) {
      assert.ok(Math.abs(got - want) <= 1.5, `${cls}: mostly-covered pixels span [${x0}, ${y0}, ${x1 + 1}, ${y1 + 1}], box [${[bx0, by0, bx1, by1].map((v) => v.toFixed(1))}]`);
    }
  }
});
