// The percentile bootstrap every reported interval uses: its quantiles, its repeatable draws, and
// the paired difference (both series resampled together).
import assert from "node:assert/strict";
import { test } from "node:test";
import { bootstrap, interval95, pairedDifferenceInterval } from "../../src/util/bootstrap.js";

test("interval95: the sorted values at indices round(0.025 (n - 1)) and round(0.975 (n - 1))", () => {
  // 0..100 shuffled: indices 2.5 and 97.5 round up to 3 and 98
  const values = Array.from({ length: 101 }, (_, i) => (i * 37) % 101);
  assert.deepEqual(interval95(values), [3, 98]);
  assert.deepEqual(interval95([7]), [7, 7]);
});

test("bootstrap: the same seed draws the same resamples; each draws n units of 0..n-1", () => {
  const a = bootstrap(5, 50, 3, (pick) => [...pick]);
  assert.deepEqual(bootstrap(5, 50, 3, (pick) => [...pick]), a);
  assert.notDeepEqual(bootstrap(5, 50, 4, (pick) => [...pick]), a);
  assert.ok(a.every((pick) => pick.length === 5 && pick.every((i) => Number.isInteger(i) && i >= 0 && i < 5)));
  assert.ok(new Set(a.flat()).size === 5, "every unit is drawn somewhere");
});

test("pairedDifferenceInterval: units resampled together, so a run right wherever the other is never falls below it", () => {
  // a is right on every unit b is right on, and on two more of 20
  const b = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 1 : 0));
  const a = b.map((x, i) => (i === 1 || i === 3 ? 1 : x));
  const [lo, hi] = pairedDifferenceInterval(a, b);
  assert.ok(lo >= 0 && hi > 0 && hi <= 0.3, `[${lo}, ${hi}]`);
  // resampled apart, the two halves' noise would reach below 0; the same series differ by nothing
  assert.deepEqual(pairedDifferenceInterval(b, b), [0, 0]);
  assert.throws(() => pairedDifferenceInterval(a, b.slice(1)), /not the same units/);
});
