// Path collection for the fine-tuned judges and self-correction: shape of the records,
// Math-Shepherd rollouts, resumption, and the self-correction batches built from them.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { readMetadataFile } from "../../src/geneval/metadata.js";
import { correctionBatch, correctionGroups } from "../../src/align/self-correct.js";
import { EXTRA_ROLLOUTS, collectPaths, collectionPrompts, readCollected } from "../../src/judges/collect.js";
import { TEST_SUITE_FILE } from "../../src/shapes/train-prompts.js";
import { tinyPipeline } from "../fixtures/tiny.js";

const { generator, tokenizer } = tinyPipeline();
const T = 4;
const opts = (out: string) => ({ out, prompts: 3, pathsPerPrompt: 2, chunk: 2, seed: 4, sample: { steps: T, cfg: 1, temperature: 1, confidenceTemperature: 4.5 }, rolloutShare: 1 });

test("collection prompts are training prompts only", () => {
  const held = new Set(readMetadataFile(TEST_SUITE_FILE).map((m) => m.prompt));
  assert.ok(collectionPrompts(1, 500).every((m) => !held.has(m.prompt)));
});

test("collected paths keep every step, label finals, carry Math-Shepherd rollouts, and resume without redoing chunks", async () => {
  const dir = mkdtempSync(join(tmpdir(), "paths-"));
  await collectPaths({ generator, tokenizer }, opts(dir));
  const data = readCollected([dir]);
  assert.equal(data.length, 3);
  for (const p of data) {
    assert.equal(p.paths.length, 2);
    for (const path of p.paths) {
      assert.equal(path.predictions.length, T);
      assert.ok(path.predictions.every((x) => x.length === 16 && x.every((t) => t >= 0 && t < 16)), "predictions are full grids");
      assert.equal(path.correct, false, "an untrained model draws no shapes the detector accepts");
      assert.equal(path.rollout?.correct.length, EXTRA_ROLLOUTS);
      assert.ok(path.rollout!.step >= 0 && path.rollout!.step < T - 1);
      assert.ok(Number.isInteger(path.clearFrom) && path.clearFrom >= 0 && path.clearFrom <= T - 1, "a clarity label from the path's own images");
    }
  }
  const first = join(dir, "chunk-00000.json");
  const second = join(dir, "chunk-00001.json");
  const [m0, before] = [statSync(first).mtimeMs, readFileSync(second, "utf8")];
  rmSync(second); // a run killed before its last chunk
  await collectPaths({ generator, tokenizer }, opts(dir));
  assert.equal(statSync(first).mtimeMs, m0, "finished chunks are kept");
  assert.equal(readFileSync(second, "utf8"), before, "the redone chunk is the same");
});

test("a flat penalty of 0 is left out of the collection's settings (paths made before the penalty resume); another penalty is refused", async () => {
  const dir = mkdtempSync(join(tmpdir(), "paths-"));
  const one = (flatPenalty?: number) => ({ ...opts(dir), prompts: 1, pathsPerPrompt: 1, chunk: 1, sample: { ...opts(dir).sample, ...(flatPenalty === undefined ? {} : { flatPenalty }) } });
  await collectPaths({ generator, tokenizer }, one());
  await collectPaths({ generator, tokenizer }, one(0));
  const settings = JSON.parse(readFileSync(join(dir, "collection.json"), "utf8")) as { sample: Record<string, number> };
  assert.deepEqual(settings.sample, opts(dir).sample);
  await assert.rejects(collectPaths({ generator, tokenizer }, one(2)), /other settings/);
});

test("a rollout share gives rollouts to some paths only, and leaves every path's images and labels as they were", async () => {
  const [all, part] = [mkdtempSync(join(tmpdir(), "paths-")), mkdtempSync(join(tmpdir(), "paths-"))];
  const more = (out: string, rolloutShare: number) => ({ ...opts(out), prompts: 4, pathsPerPrompt: 4, rolloutShare });
  await collectPaths({ generator, tokenizer }, more(all, 1));
  await collectPaths({ generator, tokenizer }, more(part, 0.4));
  await assert.rejects(collectPaths({ generator, tokenizer }, more(part, 0.5)), /other settings \(rollout_share: 0.4, now 0.5\)/, "a rerun with another share is refused, not mixed in");
  const [a, b] = [readCollected([all]), readCollected([part])];
  const paths = (d: typeof a) => d.flatMap((p) => p.paths);
  const kept = paths(b).filter((p) => p.rollout !== null).length;
  assert.ok(kept > 0 && kept < 16, `${kept} of 16 paths with rollouts`);
  paths(b).forEach((p, i) => {
    const q = paths(a)[i];
    assert.deepEqual({ ...p, rollout: null }, { ...q, rollout: null }, "the path itself does not depend on the share");
    if (p.rollout) assert.deepEqual(p.rollout, q.rollout, "nor do the rollouts it keeps");
  });
});

test("self-correction groups pair each failing final with its reason, and batches fill every segment", async () => {
  const dir = mkdtempSync(join(tmpdir(), "paths-"));
  await collectPaths({ generator, tokenizer }, opts(dir));
  const { groups } = await correctionGroups(readCollected([dir]), { source: "detector" });
  assert.equal(groups.length, 6, "every final failed");
  assert.ok(groups.every((g) => g.reason.length > 0 && g.right.length === 0));
  const b = correctionBatch(groups, tokenizer, { batch: 5, seed: 1, maxText: 16, maxReason: 8, imageTokens: 16, condDropout: 0, noReason: 0 }, 0);
  assert.equal(b.tokens.length, 5);
  assert.ok(b.tokens.every((t) => t.length === 16), "right images are renders, tokenized");
  assert.ok(b.previous!.every((t) => t.length === 16));
  assert.ok(b.reason!.every((r) => r.length === 8 && r.some((id) => id !== 0)), "reasons are encoded");
  assert.deepEqual(correctionBatch(groups, tokenizer, { batch: 5, seed: 1, maxText: 16, maxReason: 8, imageTokens: 16, condDropout: 0, noReason: 0 }, 0), b, "a pure function of the step");
});
