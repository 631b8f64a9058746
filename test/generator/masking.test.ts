// The masked-token loss on a hand-computed case.
import assert from "node:assert/strict";
import { test } from "node:test";
import { IGNORE, maskedTokenLoss } from "../../src/generator/masking.js";
import { tensor, tidy } from "../../src/torch/index.js";

test("masked-token loss: mean cross-entropy over the masked positions only", () =>
  tidy(() => {
    // row 0: position 0 masked (target 1 of logits [0, ln 3]: p = 3/4), position 1 not; row 1: position 1 masked (p = 1/2)
    const logits = tensor([0, Math.log(3), 5, -5, 7, 7, 1, 1], [2, 2, 2], "float64");
    const target = tensor([1, IGNORE, IGNORE, 0], [2, 2], "int64");
    const loss = maskedTokenLoss(logits, target).item();
    assert.ok(Math.abs(loss - (-Math.log(3 / 4) - Math.log(1 / 2)) / 2) < 1e-12, `${loss}`);
  }));
