// PARM's one decision rule, shared by the live strategy and its replay.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_SURVIVORS, chooseSurvivor, clearBy, cutBy, fallbackPath, isClear, isCut, stoppedByBudget } from "../../src/strategies/parm-rule.js";

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

test("the survivor budget: nothing stops until it is full, then all but the best passed paths by potential stop", () => {
  const live = [0, 1, 2, 3, 4];
  assert.deepEqual(stoppedByBudget(live, [{ id: 3, step: 4, pYes: 0.9 }], 2), [], "one passed of two: every path goes on");
  const passed = [
    { id: 1, step: 5, pYes: 0.7 },
    { id: 3, step: 4, pYes: 0.9 },
    { id: 4, step: 5, pYes: 0.6 },
  ];
  assert.deepEqual(stoppedByBudget(live, passed, 2), [0, 2, 4], "paths 3 and 1 go on; the unclear 0 and 2 stop too");
  // equal potentials: the one passed earlier, then the lower id
  assert.deepEqual(stoppedByBudget([0, 1, 2], [{ id: 2, step: 3, pYes: 0.8 }, { id: 1, step: 4, pYes: 0.8 }, { id: 0, step: 4, pYes: 0.8 }], 2), [1]);
  assert.equal(MAX_SURVIVORS, 3);
  assert.deepEqual(stoppedByBudget(live, passed), [0, 2], "the shipped budget: paths 3, 1 and 4 go on; the unclear 0 and 2 stop");
  assert.deepEqual(stoppedByBudget(live, passed.slice(0, 2)), [], "two passed of three: every path goes on");
});
