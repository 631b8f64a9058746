// The DPO memory benchmark's accounting on tiny models: every round run in one process, its
// peak resident memory recorded, no native tensor left alive between rounds.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { dpoMemory, memoryGrowth } from "../../bench/dpo-memory.js";
import { TINY_SAMPLE, parityLabel, saveTiny } from "../align/tiny.js";

test("dpo-memory: rounds 1..R in one process, each round's peak against the first's, no tensor or optimiser left alive", async () => {
  const tiny = saveTiny(mkdtempSync(join(tmpdir(), "imagecot-dpo-mem-")));
  const r = await dpoMemory({ ...tiny, rounds: 3, prompts: 6, samplesPerPrompt: 4, steps: 2, sample: TINY_SAMPLE, label: parityLabel });
  assert.deepEqual(r.rounds.map((x) => x.round), [1, 2, 3]);
  assert.ok(r.rounds.every((x, i) => x.peak_rss_mib > 0 && (i === 0 || x.peak_rss_mib >= r.rounds[i - 1].peak_rss_mib)), "the peak is the process's high-water mark");
  assert.ok(r.rounds.every((x) => x.live_tensors === 0), "every round frees its tensors");
  assert.ok(r.rounds.every((x) => x.live_optimizers === 0), "every round frees its optimiser (its parameters' copies and moments)");
  // the C heap in use after each round's trim is recorded for the real-scale run to compare; on
  // tiny models a round's state is KiB, under any slack, so growth is judged there, not here
  assert.ok(r.rounds.every((x) => Number.isFinite(x.heap_in_use_mib) && x.heap_in_use_mib > 0), `heap in use ${r.rounds.map((x) => x.heap_in_use_mib).join(", ")} MiB`);
  assert.equal(r.peak_over_first_round, r.rounds[2].peak_rss_mib / r.rounds[0].peak_rss_mib);
});

test("dpo-memory: growth is the highest round's peak over the first round's, met below 1.5", () => {
  assert.deepEqual(memoryGrowth([1000, 1200, 1400]), { peak_over_first_round: 1.4, target: 1.5, met: true });
  assert.deepEqual(memoryGrowth([900, 12000]), { peak_over_first_round: 12000 / 900, target: 1.5, met: false });
  assert.equal(memoryGrowth([1000, 1500]).met, false, "1.5 times is already too much");
  assert.throws(() => memoryGrowth([]), /first round/);
});
