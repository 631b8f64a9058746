// The detector's three gates, measured: accuracy on clean renders of a suite (per tag), the share
// of near misses it wrongly passes (per kind), and accuracy under VQ-like degradations.
import { evaluateImage } from "../geneval/rules.js";
import { summarize } from "../geneval/summary.js";
import type { PromptMeta, Tag } from "../geneval/types.js";
import { DEGRADATIONS } from "./degrade.js";
import { detect } from "./detector.js";
import type { RGBImage } from "./image.js";
import { renderScene } from "./render.js";
import { NEAR_MISS_KINDS, nearMissKinds, sampleNearMiss, sampleScene, sceneRng, type NearMissKind } from "./scene.js";

export interface DetectorBenchOptions {
  suite: readonly PromptMeta[];
  /** clean images in all, at least (every prompt gets the same number) */
  images: number;
  /** images per degradation, at least (degraded copies of the first clean ones of each prompt) */
  degradedImages: number;
  /** near misses per prompt and applicable kind */
  nearMissesPerKind: number;
  seed: number;
  /** after each prompt of each pass (clean then near misses): done and total */
  onProgress?: (done: number, total: number) => void;
}

/** Accuracy of a set of images: GenEval's overall (mean over tags), per tag, the worst tag, images correct. */
export interface Accuracy {
  images: number;
  overall: number;
  by_tag: Partial<Record<Tag, number>>;
  min_tag: number;
  images_correct: number;
}

export interface DetectorBenchResult {
  clean: Accuracy;
  near_miss: { images: number; scored_correct: number; by_kind: Partial<Record<NearMissKind, { images: number; scored_correct: number }>> };
  degraded: { by_degradation: Record<string, Accuracy>; min_tag: number };
  /** The gates: clean >= 0.995 on every tag, <= 1% of near misses passed, >= 0.97 on every tag of every degradation. */
  gates: { clean: boolean; near_miss: boolean; degraded: boolean };
  detect_ms_per_image: number;
  /** clean renders only, scene sampling aside */
  render_ms_per_image: number;
  seconds: number;
}

export type Row = { tag: Tag; promptKey: string; correct: boolean };

export function accuracy(rows: Row[]): Accuracy {
  const s = summarize(rows);
  return {
    images: rows.length,
    overall: s.overall,
    by_tag: s.by_tag,
    min_tag: Math.min(...Object.values(s.by_tag)),
    images_correct: s.correct_images_pct / 100,
  };
}

const ceilDiv = (a: number, b: number): number => Math.ceil(a / b);

export function benchDetector(opts: DetectorBenchOptions): DetectorBenchResult {
  if (opts.images < 1 || opts.degradedImages < 1 || opts.nearMissesPerKind < 1) throw new Error("benchDetector: every gate needs at least one image");
  const t0 = performance.now();
  let detectMs = 0, detected = 0, renderMs = 0;
  const judge = (meta: PromptMeta, img: RGBImage): boolean => {
    const t = performance.now();
    const dets = detect(img);
    detectMs += performance.now() - t;
    detected++;
    return evaluateImage(meta, dets).correct;
  };
  const perPrompt = ceilDiv(opts.images, opts.suite.length);
  const degradedPerPrompt = ceilDiv(opts.degradedImages, opts.suite.length);

  const clean: Row[] = [];
  const degraded: Record<string, Row[]> = {};
  opts.suite.forEach((meta, p) => {
    for (let s = 0; s < perPrompt; s++) {
      const rng = sceneRng(opts.seed, p, s);
      const scene = sampleScene(meta, rng);
      const t = performance.now();
      const img = renderScene(scene);
      renderMs += performance.now() - t;
      clean.push({ tag: meta.tag, promptKey: String(p), correct: judge(meta, img) });
      if (s >= degradedPerPrompt) continue;
      for (const [name, degrade] of Object.entries(DEGRADATIONS)) {
        (degraded[name] ??= []).push({ tag: meta.tag, promptKey: String(p), correct: judge(meta, degrade(img, rng)) });
      }
    }
    opts.onProgress?.(p + 1, 2 * opts.suite.length);
  });

  const byKind: Partial<Record<NearMissKind, { images: number; scored_correct: number }>> = {};
  opts.suite.forEach((meta, p) => {
    for (const kind of nearMissKinds(meta)) {
      for (let s = 0; s < opts.nearMissesPerKind; s++) {
        // streams apart from the clean ones: sample numbers past any clean sample's
        const rng = sceneRng(opts.seed, p, 1_000_000 + NEAR_MISS_KINDS.indexOf(kind) * 1000 + s);
        const miss = sampleNearMiss(meta, kind, rng);
        const k = (byKind[kind] ??= { images: 0, scored_correct: 0 });
        k.images++;
        if (judge(meta, renderScene(miss.scene))) k.scored_correct++;
      }
    }
    opts.onProgress?.(opts.suite.length + p + 1, 2 * opts.suite.length);
  });

  const kinds = Object.values(byKind);
  const missImages = kinds.reduce((n, k) => n + k.images, 0);
  const missCorrect = kinds.reduce((n, k) => n + k.scored_correct, 0);
  const byDegradation = Object.fromEntries(Object.entries(degraded).map(([name, rows]) => [name, accuracy(rows)]));
  const cleanAcc = accuracy(clean);
  const degradedMin = Math.min(...Object.values(byDegradation).map((d) => d.min_tag));
  return {
    clean: cleanAcc,
    near_miss: {
      images: missImages,
      scored_correct: missImages ? missCorrect / missImages : 0,
      by_kind: Object.fromEntries(Object.entries(byKind).map(([k, v]) => [k, { images: v.images, scored_correct: v.scored_correct / v.images }])),
    },
    degraded: { by_degradation: byDegradation, min_tag: degradedMin },
    gates: { clean: cleanAcc.min_tag >= 0.995, near_miss: missCorrect <= 0.01 * missImages, degraded: degradedMin >= 0.97 },
    detect_ms_per_image: detectMs / detected,
    render_ms_per_image: renderMs / clean.length,
    seconds: (performance.now() - t0) / 1000,
  };
}
