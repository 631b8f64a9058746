// RGB images <-> model tensors: (B, 3, S, S) float32 in [-1, 1].
import type { RGBImage } from "../shapes/image.js";
import { BACKGROUND } from "../shapes/world.js";
import { type Tensor, tensor, tidy } from "../torch/index.js";

export function imagesToTensor(images: RGBImage[]): Tensor {
  const { width: w, height: h } = images[0];
  const bytes = new Uint8Array(images.length * w * h * 3);
  images.forEach((img, i) => {
    if (img.width !== w || img.height !== h) throw new Error(`image ${i} is ${img.width}x${img.height}, expected ${w}x${h}`);
    bytes.set(img.data, i * w * h * 3);
  });
  return tidy(() => tensor(bytes, [images.length, h, w, 3]).to("float32").div(127.5).sub(1).permute([0, 3, 1, 2]).contiguous());
}

export function tensorToImages(t: Tensor): RGBImage[] {
  const [B, , H, W] = t.shape;
  const bytes = tidy(() => t.add(1).mul(127.5).round().clamp(0, 255).permute([0, 2, 3, 1]).contiguous().to("uint8").data()) as Uint8Array;
  return Array.from({ length: B }, (_, i) => ({ width: W, height: H, data: bytes.slice(i * H * W * 3, (i + 1) * H * W * 3) }));
}

/** Per-pixel loss weight (B, 1, S, S): `objectWeight` where a pixel differs from the background, else 1. */
export function objectPixelWeight(images: RGBImage[], objectWeight: number): Tensor {
  const { width: w, height: h } = images[0];
  const wts = new Float32Array(images.length * w * h);
  images.forEach((img, i) => {
    for (let p = 0; p < w * h; p++) {
      const d = img.data;
      const differs = d[p * 3] !== BACKGROUND[0] || d[p * 3 + 1] !== BACKGROUND[1] || d[p * 3 + 2] !== BACKGROUND[2];
      wts[i * w * h + p] = differs ? objectWeight : 1;
    }
  });
  return tensor(wts, [images.length, 1, h, w]);
}
