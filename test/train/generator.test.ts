// Generator training: masking by the cosine schedule, and a stopped run that resumes exactly.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { DEFAULT_GENERATOR } from "../../src/generator/model.js";
import { maskTokens } from "../../src/generator/masking.js";
import { trainGenerator } from "../../src/generator/train.js";
import { VOCAB } from "../../src/tokenizer/text.js";
import { VQAutoencoder } from "../../src/tokenizer/vq.js";
import { loadSafetensors, manualSeed, tidy } from "../../src/torch/index.js";
import { readTrainLog } from "../../src/train/log.js";

test("masking: at least one position per row, targets only where masked", () =>
  tidy(() => {
    manualSeed(3);
    const rows = Array.from({ length: 200 }, (_, i) => Array.from({ length: 8 }, (_, j) => (i + j) % 5));
    const { input, target } = maskTokens(rows, 99, 8);
    const inp = input.toArray();
    const tgt = target.toArray();
    let total = 0;
    for (let r = 0; r < 200; r++) {
      const masked = inp.slice(r * 8, r * 8 + 8).filter((v) => v === 99).length;
      assert.ok(masked >= 1, "every row has a masked position");
      total += masked;
      for (let j = 0; j < 8; j++) {
        const k = r * 8 + j;
        if (inp[k] === 99) assert.equal(tgt[k], rows[r][j]);
        else assert.equal(tgt[k], -100);
      }
    }
    // E[cos(pi/2 u)] = 2/pi: about 64% of positions masked on average
    assert.ok(Math.abs(total / 1600 - 2 / Math.PI) < 0.08, `mask share ${total / 1600}`);
  }));

test("masking, paired halves (DPO's pairs): row i and row i + B/2 hide the same positions; pairs differ", () =>
  tidy(() => {
    manualSeed(5);
    const B = 40;
    const rows = Array.from({ length: B }, (_, i) => Array.from({ length: 16 }, (_, j) => (i * 3 + j) % 7));
    const inp = maskTokens(rows, 99, 16, { pairedHalves: true }).input.toArray();
    const hidden = (r: number) => inp.slice(r * 16, r * 16 + 16).map((v) => v === 99);
    for (let i = 0; i < B / 2; i++) assert.deepEqual(hidden(i), hidden(i + B / 2), `pair ${i}`);
    const patterns = new Set(Array.from({ length: B / 2 }, (_, i) => hidden(i).join()));
    assert.ok(patterns.size > B / 4, `only ${patterns.size} distinct masks over ${B / 2} pairs`);
    assert.throws(() => maskTokens(rows.slice(1), 99, 16, { pairedHalves: true }), /even number of rows/);
  }));

/** The run-state metadata of a weights file (its tensors freed). */
function pick(f: { tensors: Map<string, { dispose(): void }>; metadata: Record<string, string> }) {
  for (const t of f.tensors.values()) t.dispose();
  return { step: f.metadata.step, steps: f.metadata.steps, finished: f.metadata.finished };
}

test("generator training: stopped and rerun, it matches an uninterrupted run", () => {
  manualSeed(0);
  const vq = new VQAutoencoder({ imageSize: 64, channels: [8, 8, 8, 8], codes: 15, codeDim: 4, beta: 0.25 }).eval();
  const dir = mkdtempSync(join(tmpdir(), "imagecot-gen-"));
  const o = {
    steps: 4, batch: 2, lr: 1e-3, weightDecay: 0.05, seed: 2, condDropout: 0.5, checkpointEvery: 2, logEvery: 2,
    config: { ...DEFAULT_GENERATOR, dModel: 16, layers: 1, heads: 2, textVocab: VOCAB.length, codebookSize: 16, imageTokens: 64 },
  };
  const whole = trainGenerator({ ...o, runDir: join(dir, "a"), out: join(dir, "a.safetensors") }, vq);
  trainGenerator({ ...o, runDir: join(dir, "b"), out: join(dir, "b.safetensors"), stopAt: 2 }, vq).dispose();
  // a stopped run leaves its current weights, marked unfinished (what ships while a long run goes on)
  assert.deepEqual(pick(loadSafetensors(join(dir, "b.safetensors"))), { step: "2", steps: "4", finished: "false" });
  const resumed = trainGenerator({ ...o, runDir: join(dir, "b"), out: join(dir, "b.safetensors") }, vq);
  assert.deepEqual(pick(loadSafetensors(join(dir, "b.safetensors"))), { step: "4", steps: "4", finished: "true" });
  assert.deepEqual(
    [...resumed.stateDict()].map(([k, v]) => [k, v.toArray()]),
    [...whole.stateDict()].map(([k, v]) => [k, v.toArray()]),
  );
  resumed.dispose();
  // a run stopped with class weights resumes only with the same ones (none, or others, are another run), and then as the whole run
  trainGenerator({ ...o, runDir: join(dir, "w"), out: join(dir, "w.safetensors"), stopAt: 2, state: { class_weights: '{"star":2}' } }, vq).dispose();
  for (const other of [null, '{"star":3}'])
    assert.throws(
      () => trainGenerator({ ...o, runDir: join(dir, "w"), out: join(dir, "w.safetensors"), state: { class_weights: other } }, vq),
      /checkpoint\.safetensors is of another run \(class_weights "\{\\"star\\":2\}", this run /,
    );
  const weighted = trainGenerator({ ...o, runDir: join(dir, "w"), out: join(dir, "w.safetensors"), state: { class_weights: '{"star":2}' } }, vq);
  assert.deepEqual(
    [...weighted.stateDict()].map(([k, v]) => [k, v.toArray()]),
    [...whole.stateDict()].map(([k, v]) => [k, v.toArray()]),
    "the data here is the run's own, not the recorded weights': resumed, it is the whole run",
  );
  weighted.dispose();
  whole.dispose();
  // and the reverse: a run stopped without weights (recorded as null) is not resumed by a weighted one
  trainGenerator({ ...o, runDir: join(dir, "u"), out: join(dir, "u.safetensors"), stopAt: 2, state: { class_weights: null } }, vq).dispose();
  assert.throws(() => trainGenerator({ ...o, runDir: join(dir, "u"), out: join(dir, "u.safetensors"), state: { class_weights: '{"star":2}' } }, vq), /is of another run \(class_weights null, this run /);
  rmSync(dir, { recursive: true });
});

test("a tiny generator trained for a few dozen steps: its loss falls", () => {
  manualSeed(1);
  const vq = new VQAutoencoder({ imageSize: 64, channels: [8, 8, 8, 8], codes: 15, codeDim: 4, beta: 0.25 }).eval();
  const dir = mkdtempSync(join(tmpdir(), "imagecot-genloss-"));
  const m = trainGenerator(
    {
      steps: 40, batch: 4, lr: 3e-3, weightDecay: 0, seed: 4, condDropout: 0.1, checkpointEvery: 40, logEvery: 10,
      config: { ...DEFAULT_GENERATOR, dModel: 32, layers: 1, heads: 2, textVocab: VOCAB.length, codebookSize: 16, imageTokens: 64 },
      runDir: dir, out: join(dir, "g.safetensors"),
    },
    vq,
  );
  const log = readTrainLog(join(dir, "log.jsonl"));
  assert.equal(log.length, 4);
  assert.ok(log[3].loss < log[0].loss * 0.8, `loss ${log[0].loss} -> ${log[3].loss}`);
  // every line records memory, so that growth over a run shows: the resident set, and a tensor count that stays put
  assert.ok(log.every((e) => e.rss_mib > 50), "resident MiB in every line");
  assert.equal(new Set(log.map((e) => e.live_tensors)).size, 1, `live tensors moved: ${log.map((e) => e.live_tensors).join(", ")}`);
  m.dispose();
  rmSync(dir, { recursive: true });
});
