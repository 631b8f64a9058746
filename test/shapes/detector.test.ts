import assert from "node:assert/strict";
import { test } from "node:test";
import { COLORS, type Detection } from "../../src/geneval/types.js";
import { mulberry32 } from "../../src/util/prng.js";
import { DEGRADATIONS } from "../../src/shapes/degrade.js";
import { detect } from "../../src/shapes/detector.js";
import { createImage } from "../../src/shapes/image.js";
import { objectBox, renderScene, type ShapeObject } from "../../src/shapes/render.js";
import { BACKGROUND, SHAPE_CLASSES } from "../../src/shapes/world.js";

const render = (objects: ShapeObject[]) => renderScene({ size: 64, objects });
const summary = (ds: Detection[]): string => ds.map((d) => `${d.color} ${d.class} ${d.confidence.toFixed(2)} [${d.box}]`).join("; ");

test("each class, in every colour and at small and large sizes, is found once with its class, colour and box", () => {
  SHAPE_CLASSES.forEach((cls, i) => {
    COLORS.forEach((color, j) => {
      const scale = 6.5 + ((i * 10 + j) % 9);
      const o: ShapeObject = { class: cls, color, cx: 30 + (j % 3) * 0.37, cy: 33 - (i % 4) * 0.29, scale };
      const ds = detect(render([o]));
      assert.equal(ds.length, 1, `${color} ${cls} at scale ${scale}: ${summary(ds)}`);
      const [d] = ds;
      assert.equal(d.class, cls, `${color} ${cls} at scale ${scale}: ${summary(ds)}`);
      assert.equal(d.color, color);
      assert.ok(d.confidence > 0.9, `${color} ${cls}: confidence ${d.confidence}`);
      objectBox(o).forEach((v, k) => assert.ok(Math.abs(v - d.box[k]) <= 1, `${cls} box ${d.box} vs ${objectBox(o)}`));
    });
  });
});

test("several objects: every one found, counted and coloured", () => {
  const objects: ShapeObject[] = [
    { class: "heart", color: "pink", cx: 14, cy: 14, scale: 8 },
    { class: "heart", color: "brown", cx: 48, cy: 15, scale: 7 },
    { class: "heart", color: "black", cx: 15, cy: 48, scale: 7.5 },
    { class: "triangle", color: "white", cx: 47, cy: 47, scale: 9 },
  ];
  const ds = detect(render(objects));
  const got = ds.map((d) => `${d.color} ${d.class}`).sort();
  assert.deepEqual(got, objects.map((o) => `${o.color} ${o.class}`).sort(), summary(ds));
  assert.ok(ds.every((d) => d.confidence > 0.9), summary(ds));
});

test("holds up under every degradation of the benchmark", () => {
  const objects: ShapeObject[] = [
    { class: "star", color: "orange", cx: 16, cy: 16, scale: 8 },
    { class: "diamond", color: "purple", cx: 46, cy: 18, scale: 8 },
    { class: "ring", color: "green", cx: 18, cy: 46, scale: 8 },
    { class: "cross", color: "red", cx: 46, cy: 46, scale: 8 },
  ];
  const want = objects.map((o) => `${o.color} ${o.class}`).sort();
  for (const [name, degrade] of Object.entries(DEGRADATIONS)) {
    const ds = detect(degrade(render(objects), mulberry32(3)));
    assert.deepEqual(ds.map((d) => `${d.color} ${d.class}`).sort(), want, `${name}: ${summary(ds)}`);
    assert.ok(ds.every((d) => d.confidence > 0.9), `${name}: ${summary(ds)}`);
  }
});

test("an empty image and specks give nothing", () => {
  assert.deepEqual(detect(render([])), []);
  const img = createImage(64, 64);
  for (let i = 0; i < img.data.length; i += 3) img.data.set(BACKGROUND, i);
  for (const p of [100, 101, 164, 2000, 3000]) img.data.set([250, 10, 10], p * 3);
  assert.deepEqual(detect(img), []);
});

test("objects that touch are told apart, whether their colours differ or not", () => {
  const differ = detect(render([
    { class: "circle", color: "red", cx: 20, cy: 32, scale: 9 },
    { class: "square", color: "blue", cx: 34, cy: 32, scale: 8 },
  ]));
  assert.deepEqual(differ.map((d) => `${d.color} ${d.class}`).sort(), ["blue square", "red circle"], summary(differ));
  const same = detect(render([
    { class: "circle", color: "red", cx: 20, cy: 32, scale: 9 },
    { class: "circle", color: "red", cx: 38, cy: 32, scale: 9 },
  ]));
  assert.deepEqual(same.map((d) => `${d.color} ${d.class}`), ["red circle", "red circle"], summary(same));
});

test("a blob that is no class (an ellipse 3:1) is not confident enough to be counted", () => {
  const img = createImage(64, 64);
  for (let y = 0; y < 64; y++)
    for (let x = 0; x < 64; x++) {
      const inside = ((x + 0.5 - 32) / 21) ** 2 + ((y + 0.5 - 32) / 7) ** 2 <= 1;
      img.data.set(inside ? [40, 160, 60] : BACKGROUND, (y * 64 + x) * 3);
    }
  const ds = detect(img);
  assert.ok(ds.every((d) => d.confidence <= 0.9), summary(ds));
});
