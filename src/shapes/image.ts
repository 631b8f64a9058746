// RGB images in memory and their PNG form: the one pixel format the renderer, detector and eval share.
import { readFileSync } from "node:fs";
import { PNG } from "pngjs";
import { writeFileAtomic } from "../util/atomic.js";

export interface RGBImage {
  width: number;
  height: number;
  /** RGB, 3 bytes per pixel, row-major */
  data: Uint8Array;
}

export function createImage(width: number, height: number): RGBImage {
  return { width, height, data: new Uint8Array(width * height * 3) };
}

/** Decodes any PNG pngjs reads; alpha is composited over black, as GenEval's PIL convert("RGB") drops it. */
export function decodePng(buf: Uint8Array): RGBImage {
  const png = PNG.sync.read(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
  const n = png.width * png.height;
  const img = createImage(png.width, png.height);
  const src = png.data;
  for (let i = 0; i < n; i++) {
    img.data[i * 3] = src[i * 4];
    img.data[i * 3 + 1] = src[i * 4 + 1];
    img.data[i * 3 + 2] = src[i * 4 + 2];
  }
  return img;
}

/** 8-bit RGB PNG (colour type 2): no alpha channel to disagree about. */
export function encodePng(img: RGBImage): Buffer {
  const png = new PNG({ width: img.width, height: img.height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  png.data = Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength);
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
}

export function readPng(path: string): RGBImage {
  return decodePng(readFileSync(path));
}

export function writePng(path: string, img: RGBImage): void {
  writeFileAtomic(path, encodePng(img));
}
