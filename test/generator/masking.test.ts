// The masked-token loss on a hand-computed case; the masks' floor.
import assert from "node:assert/strict";
import { test } from "node:test";
import { IGNORE, maskTokens, maskedTokenLoss } from "../../src/generator/masking.js";
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
