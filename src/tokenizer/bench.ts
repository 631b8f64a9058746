// The tokenizer's gate: ground-truth renders of the test suite, encoded and decoded; the
// detector's verdict (GenEval's rules) must not change for >= 98% of images.
import { evaluateImage } from "../geneval/rules.js";
import type { PromptMeta } from "../geneval/types.js";
import { type Accuracy, type Row, accuracy } from "../shapes/detector-bench.js";
import { detect } from "../shapes/detector.js";
import type { RGBImage } from "../shapes/image.js";
import { renderScene } from "../shapes/render.js";
import { sampleScene, sceneRng } from "../shapes/scene.js";
import { noGrad, tidy } from "../torch/index.js";
import { imagesToTensor, tensorToImages } from "./pixels.js";
import type { VQAutoencoder } from "./vq.js";

export interface TokenizerBenchResult {
  images: number;
  verdict_unchanged: number; // share of images whose verdict is the same after encode-decode
  reconstructed: Accuracy; // GenEval accuracy of the reconstructions (originals score 1.0)
  psnr_db: number;
  codes_used: number; // distinct codes over all encoded images
  encode_decode_ms_per_image: number;
  gate: boolean;
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
    for (let s = 0; s < perPrompt; s++) items.push({ meta, p, img: renderScene(sampleScene(meta, sceneRng(seed, p, s), { size: vq.config.imageSize })) });
  });
  const rows: Row[] = [];
  const codes = new Set<number>();
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
    encode_decode_ms_per_image: ms / items.length,
    gate: share >= 0.98,
  };
}
