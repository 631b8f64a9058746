// A training run stopped part-way and resumed ends exactly where an uninterrupted run does.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { DEFAULT_TRAIN_VQ, trainVQ } from "../../src/tokenizer/train-vq.js";
import { readTrainLog } from "../../src/train/log.js";

const tiny = { ...DEFAULT_TRAIN_VQ, config: { imageSize: 64, channels: [8, 8, 8], codes: 15, codeDim: 4, beta: 0.25 }, batch: 2, steps: 6, reviveEvery: 2, checkpointEvery: 2 };

test("tokenizer training: stopped at step 4 and rerun, it matches an uninterrupted run", () => {
  const dir = mkdtempSync(join(tmpdir(), "imagecot-resume-"));
  const whole = trainVQ({ ...tiny, runDir: join(dir, "a"), out: join(dir, "a.safetensors") });
  const part = trainVQ({ ...tiny, runDir: join(dir, "b"), out: join(dir, "b.safetensors"), stopAt: 4 });
  assert.equal(existsSync(join(dir, "b.safetensors")), false, "no final weights before the last step");
  part.dispose();
  const resumed = trainVQ({ ...tiny, runDir: join(dir, "b"), out: join(dir, "b.safetensors") });
  const a = [...whole.stateDict()].map(([k, v]) => [k, v.toArray()]);
  const b = [...resumed.stateDict()].map(([k, v]) => [k, v.toArray()]);
  assert.deepEqual(b, a);
  assert.deepEqual(readTrainLog(join(dir, "b", "log.jsonl")).map((e) => e.step), [2, 4, 6], "the log holds each step once");
  assert.ok(existsSync(join(dir, "b", "loss.png")));
  whole.dispose();
  resumed.dispose();
  rmSync(dir, { recursive: true });
});
