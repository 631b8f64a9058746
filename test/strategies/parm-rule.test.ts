// PARM's one decision rule, shared by the live strategy and its replay.
import assert from "node:assert/strict";
import { test } from "node:test";
import { chooseSurvivor, clearBy, cutBy, fallbackPath, isClear, isCut } from "../../src/strategies/parm-rule.js";

test("clear from 0.5, cut below 0.5, the best survivor, and the fallback's order among equals", () => {
  assert.deepEqual([0.49, 0.5, 0.9].map(isClear), [false, true, true]);
  assert.deepEqual([0.49, 0.5, 0.9].map(isCut), [true, false, false]);
  assert.deepEqual([0.29, 0.3, 0.9].map(clearBy(0.3)), [false, true, true], "other thresholds, as bench parm-val sweeps them");
  assert.deepEqual([0.69, 0.7, 0.9].map(cutBy(0.7)), [true, false, false]);
  assert.equal(chooseSurvivor([{ id: 3, outcome: 0.2 }, { id: 5, outcome: 0.7 }, { id: 6, outcome: 0.7 }]).id, 5);
  // equal potentials: the one cut at the earlier step, then the lower id
  assert.equal(fallbackPath([{ id: 2, step: 9, pYes: 0.4 }, { id: 4, step: 7, pYes: 0.4 }, { id: 1, step: 7, pYes: 0.1 }]).id, 4);
  assert.equal(fallbackPath([{ id: 2, step: 7, pYes: 0.4 }, { id: 0, step: 7, pYes: 0.4 }]).id, 0);
  assert.equal(fallbackPath([{ id: 2, step: 9, pYes: 0.45 }, { id: 0, step: 3, pYes: 0.4 }]).id, 2);
});
