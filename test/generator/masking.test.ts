// The masked-token loss on a hand-computed case; the masks' floor; a trajectory's step rows.
import assert from "node:assert/strict";
import { test } from "node:test";
import { IGNORE, maskTokens, maskedTokenLoss, trajectoryStep } from "../../src/generator/masking.js";
import { manualSeed, tensor, tidy } from "../../src/torch/index.js";

test("masked-token loss: mean cross-entropy over the masked positions only", () =>
  tidy(() => {
    // row 0: position 0 masked (target 1 of logits [0, ln 3]: p = 3/4), position 1 not; row 1: position 1 masked (p = 1/2)
    const logits = tensor([0, Math.log(3), 5, -5, 7, 7, 1, 1], [2, 2, 2], "float64");
    const target = tensor([1, IGNORE, IGNORE, 0], [2, 2], "int64");
    const loss = maskedTokenLoss(logits, target).item();
    assert.ok(Math.abs(loss - (-Math.log(3 / 4) - Math.log(1 / 2)) / 2) < 1e-12, `${loss}`);
  }));

test("maskTokens' minRatio: every row hides at least that share, and the schedule still spans up to all", () =>
  tidy(() => {
    manualSeed(3);
    const L = 100;
    const rows = Array.from({ length: 400 }, () => Array.from({ length: L }, () => 5));
    const hidden = (minRatio: number) => {
      const input = maskTokens(rows, 99, L, { minRatio }).input.toArray() as number[];
      return rows.map((_, r) => input.slice(r * L, (r + 1) * L).filter((x) => x === 99).length);
    };
    const plain = hidden(0);
    const floored = hidden(0.8);
    assert.ok(Math.min(...plain) < 40, `without a floor some rows hide few positions (least ${Math.min(...plain)})`);
    assert.ok(Math.min(...floored) >= 80, `with the floor 0.8 every row hides at least 80 of 100 (least ${Math.min(...floored)})`);
    assert.ok(Math.max(...floored) >= 99, "and some hide (nearly) all");
    assert.throws(() => maskTokens(rows, 99, L, { minRatio: 1 }), /minRatio must be in \[0, 1\)/);
  }));

test("trajectoryStep: a row keeps what was fixed before its step and targets what that step fixed; a pair's rows share the step", () =>
  tidy(() => {
    manualSeed(5);
    const M = 9;
    // two pairs: chosen rows 0-1, rejected rows 2-3; orders over 3 steps
    const tokens = [[10, 11, 12, 13], [20, 21, 22, 23], [30, 31, 32, 33], [40, 41, 42, 43]];
    const order = [[1, 0, 2, 1], [2, 2, 0, 1], [0, 2, 1, 1], [1, 1, 2, 0]];
    const seen = new Set<number>();
    for (let draw = 0; draw < 40; draw++) {
      const { input, target } = trajectoryStep(tokens, order, M, 4, 3, { pairedHalves: true });
      const [inp, tgt] = [input.toArray() as number[], target.toArray() as number[]];
      const steps = tokens.map((row, r) => {
        const t = order[r][tgt.slice(r * 4, r * 4 + 4).findIndex((x) => x !== IGNORE)]; // the step this row reads
        row.forEach((x, j) => {
          assert.equal(inp[r * 4 + j], order[r][j] < t ? x : M, `row ${r} position ${j} at step ${t}: input`);
          assert.equal(tgt[r * 4 + j], order[r][j] === t ? x : IGNORE, `row ${r} position ${j} at step ${t}: target`);
        });
        return t;
      });
      assert.deepEqual([steps[2], steps[3]], [steps[0], steps[1]], "pair i's rejected row reads its chosen row's step");
      steps.forEach((t) => seen.add(t));
    }
    assert.deepEqual([...seen].sort(), [0, 1, 2], "every step is drawn");
    // one step only: the fully masked state, and the targets every position it fixed
    const one = trajectoryStep([[7, 8]], [[0, 0]], M, 2, 1);
    assert.deepEqual(one.input.toArray(), [M, M]);
    assert.deepEqual(one.target.toArray(), [7, 8]);
  }));
