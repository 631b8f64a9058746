// RGB images in memory and their PNG form: the one pixel format the renderer, detector and eval share.
import { readFileSync } from "node:fs";
import { PNG } from "pngjs";
import { writeFileAtomic } from "../util/atomic.js";
import { InputError } from "../util/errors.js";

export interface RGBImage {
  width: number;
  height: number;
  /** RGB, 3 bytes per pixel, row-major */
  data: Uint8Array;
}

export function createImage(width: number, height: number): RGBImage {
  return { width, height, data: new Uint8Array(width * height * 3) };
}

/** Pixels an image may have at most before it is decoded (width x height from its header): 16.7 M. */
export const DEFAULT_MAX_PIXELS = 4096 * 4096;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Width and height from a PNG's IHDR chunk, without decoding anything. */
export function pngSize(buf: Uint8Array): { width: number; height: number } {
  if (buf.length < 24 || PNG_SIGNATURE.some((b, i) => buf[i] !== b)) throw new InputError("not a PNG (no PNG signature)");
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (String.fromCharCode(...buf.subarray(12, 16)) !== "IHDR") throw new InputError("not a valid PNG (no IHDR header)");
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/**
 * Decodes any PNG pngjs reads (alpha is composited over black, as GenEval's PIL convert("RGB")
 * drops it), after checking from its header that it has at most `maxPixels`
 * (a small file can declare a huge image; decoding it would exhaust memory).
 */
export function decodePng(buf: Uint8Array, maxPixels = DEFAULT_MAX_PIXELS): RGBImage {
  const { width, height } = pngSize(buf);
  if (width === 0 || height === 0) throw new InputError(`a PNG of ${width}x${height} pixels has no pixels`);
  if (width * height > maxPixels) throw new InputError(`a PNG of ${width}x${height} pixels is over the limit of ${maxPixels} pixels`);
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
  } catch (e) {
    throw new InputError(`not a valid PNG: ${(e as Error).message}`);
  }
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

export function readPng(path: string, maxPixels = DEFAULT_MAX_PIXELS): RGBImage {
  let buf: Uint8Array;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new InputError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return decodePng(buf, maxPixels);
  } catch (e) {
    if (e instanceof InputError) throw new InputError(`${path}: ${e.message}`);
    throw e;
  }
}

export function writePng(path: string, img: RGBImage): void {
  writeFileAtomic(path, encodePng(img));
}
