// The tokenizer's gate: ground-truth renders of the test suite, encoded and decoded. The
// detector's verdict (GenEval's rules) must not change for >= 99.5% of images, and the tokens
// of pure background must be (nearly) one code, so the generator never guesses among
// interchangeable background codes.
import { evaluateImage } from "../geneval/rules.js";
import type { PromptMeta } from "../geneval/types.js";
import { type Accuracy, type Row, accuracy } from "../shapes/detector-bench.js";
import { detect } from "../shapes/detector.js";
import type { RGBImage } from "../shapes/image.js";
import { BACKGROUND } from "../shapes/world.js";
import { groundTruthImage } from "../shapes/ground-truth.js";
import { noGrad, tidy } from "../torch/index.js";
import { imagesToTensor, tensorToImages } from "./pixels.js";
import type { VQAutoencoder } from "./vq.js";

export interface TokenizerBenchResult {
  images: number;
  verdict_unchanged: number; // share of images whose verdict is the same after encode-decode
  reconstructed: Accuracy; // GenEval accuracy of the reconstructions (originals score 1.0)
  psnr_db: number;
  codes_used: number; // distinct codes over all encoded images
  background_codes: number; // distinct codes over tokens whose 3x3-patch (24x24 px) neighbourhood is pure background
  background_entropy_nats: number; // entropy of those tokens' code distribution
  background_tokens: number; // how many such tokens
  encode_decode_ms_per_image: number;
  gate: boolean;
}

export const GATE = { verdictUnchanged: 0.995, backgroundCodes: 4, backgroundEntropyNats: 0.2 } as const;

/** Per patch of a grid x grid tiling: is every pixel the background? (row-major, grid*grid) */
export function flatPatchGrid(img: RGBImage, grid: number): boolean[] {
  const p = img.width / grid;
  const flat = new Array<boolean>(grid * grid).fill(true);
  for (let y = 0; y < img.height; y++)
    for (let x = 0; x < img.width; x++) {
      const i = (y * img.width + x) * 3;
      if (img.data[i] !== BACKGROUND[0] || img.data[i + 1] !== BACKGROUND[1] || img.data[i + 2] !== BACKGROUND[2]) flat[Math.floor(y / p) * grid + Math.floor(x / p)] = false;
    }
  return flat;
}

/** Counts the codes of tokens whose neighbourhood (the 3x3 patches around, clipped to the image) is pure background. */
export class BackgroundCodes {
  private readonly counts = new Map<number, number>();
  add(img: RGBImage, tokens: ArrayLike<number>, grid: number): void {
    const flat = flatPatchGrid(img, grid);
    for (let gy = 0; gy < grid; gy++)
      for (let gx = 0; gx < grid; gx++) {
        let pure = true;
        for (let dy = -1; dy <= 1 && pure; dy++)
          for (let dx = -1; dx <= 1; dx++) {
            const y = gy + dy;
            const x = gx + dx;
            if (y >= 0 && y < grid && x >= 0 && x < grid && !flat[y * grid + x]) pure = false;
          }
        if (pure) {
          const t = tokens[gy * grid + gx];
          this.counts.set(t, (this.counts.get(t) ?? 0) + 1);
        }
      }
  }
  get tokens(): number {
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }
  get codes(): number {
    return this.counts.size;
  }
  get entropyNats(): number {
    const n = this.tokens;
    return [...this.counts.values()].reduce((h, c) => h - (c / n) * Math.log(c / n), 0);
  }
}

export function benchTokenizer(
  vq: VQAutoencoder,
  suite: readonly PromptMeta[],
  images: number,
  seed: number,
  batch = 64,
  onProgress?: (done: number, total: number) => void,
): TokenizerBenchResult {
  const perPrompt = Math.ceil(images / suite.length);
  const items: { meta: PromptMeta; p: number; img: RGBImage }[] = [];
  suite.forEach((meta, p) => {
    for (let s = 0; s < perPrompt; s++) items.push({ meta, p, img: groundTruthImage(meta, seed, p, s, vq.config.imageSize) });
  });
  const rows: Row[] = [];
  const codes = new Set<number>();
  const background = new BackgroundCodes();
  const G = vq.grid;
  let unchanged = 0;
  let se = 0;
  let ms = 0;
  for (let i = 0; i < items.length; i += batch) {
    onProgress?.(i, items.length);
    const chunk = items.slice(i, i + batch);
    const t0 = performance.now();
    const { recon, tokens } = noGrad(() =>
      tidy(() => {
        const t = vq.encode(imagesToTensor(chunk.map((c) => c.img)));
        return { recon: tensorToImages(vq.decode(t)), tokens: t.toArray() };
      }),
    );
    ms += performance.now() - t0;
    for (const t of tokens) codes.add(t);
    chunk.forEach((c, k) => {
      background.add(c.img, tokens.slice(k * G * G, (k + 1) * G * G), G);
      const before = evaluateImage(c.meta, detect(c.img)).correct;
      const after = evaluateImage(c.meta, detect(recon[k])).correct;
      if (before === after) unchanged++;
      rows.push({ tag: c.meta.tag, promptKey: String(c.p), correct: after });
      for (let j = 0; j < c.img.data.length; j++) se += (c.img.data[j] - recon[k].data[j]) ** 2;
    });
  }
  const pixels = items.length * items[0].img.data.length;
  const share = unchanged / items.length;
  return {
    images: items.length,
    verdict_unchanged: share,
    reconstructed: accuracy(rows),
    psnr_db: 10 * Math.log10((255 * 255) / (se / pixels)),
    codes_used: codes.size,
    background_codes: background.codes,
    background_entropy_nats: background.entropyNats,
    background_tokens: background.tokens,
    encode_decode_ms_per_image: ms / items.length,
    gate: share >= GATE.verdictUnchanged && background.codes <= GATE.backgroundCodes && background.entropyNats <= GATE.backgroundEntropyNats,
  };
}
