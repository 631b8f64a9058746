// The rules answer: what a prompt asks of the heads, and P(yes) from them on hand-computed numbers.
import assert from "node:assert/strict";
import { test } from "node:test";
import { logitOfLogProb, ruleLogProb, ruleTargets } from "../../src/judges/rules-answer.js";
import { JudgeNet, type JudgeNetConfig } from "../../src/judges/model.js";
import { judgeInput } from "../../src/judges/train.js";
import { cleanExamples, QUESTION_ID } from "../../src/judges/examples.js";
import { VOCAB } from "../../src/tokenizer/text.js";
import type { RGBImage } from "../../src/shapes/image.js";
import { manualSeed, noGrad, tensor, tidy } from "../../src/torch/index.js";
import { SHAPE_CLASSES } from "../../src/shapes/world.js";

const CLASSES = [...SHAPE_CLASSES]; // circle 0, square 1, triangle 2, star 3, ...

const close = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);
const X = -1e4;

test("rule targets: counts allowed, colours and the relation asked, in mention order", () => {
  const t = ruleTargets(["a photo of two circles", "a photo of a red star", "a photo of a circle left of a square", "hello", "a photo of a dog"], 2, CLASSES);
  // two circles: exactly two (the exclude is three); slot 1 unused
  assert.deepEqual(t.countLogMask.slice(0, 12), [X, X, 0, X, X, X, 0, 0, 0, 0, 0, 0]);
  // a red star: one or more, red (index 0)
  assert.deepEqual(t.countLogMask.slice(12, 18), [X, 0, 0, 0, 0, 0]);
  assert.deepEqual(t.color.slice(2, 4), [0, -1]);
  // position: the circle is mentioned first and must be left of (index 0) the square
  assert.deepEqual(t.used.slice(4, 6), [1, 1]);
  assert.equal(t.relation[2], 0);
  assert.deepEqual(t.known, [1, 1, 1, 0, 0], "an unreadable prompt, and a class the judge has no token for, keep the head");
  assert.deepEqual(t.countLogMask.slice(36, 48), new Array(12).fill(0));
  assert.deepEqual(t.slotClass, [0, -1, 3, -1, 0, 1, -1, -1, -1, -1]);
  assert.deepEqual(t.namedClass, t.slotClass, "where every prompt is read or names no class of the judge's, the same classes");
});

test("rule targets: what the class tokens' reading cannot settle is left to the yes head", () => {
  // a colour asked of two objects (GenEval checks both; a class token reads one), a class named twice
  const t = ruleTargets(["a photo of two red circles", "a photo of a circle and a circle", "a photo of a red circle and a blue star"], 2, CLASSES);
  assert.deepEqual(t.known, [0, 0, 1]);
  // unread, they keep no slot class; the classes they name are still there for a reading the prompt does not enter
  assert.deepEqual(t.slotClass, [-1, -1, -1, -1, 0, 3]);
  assert.deepEqual(t.namedClass, [0, -1, 0, 0, 0, 3]);
});

test("rule targets: 'that many or more' is allowed only when the exclude lies beyond it", () => {
  assert.deepEqual(ruleTargets(["a photo of four circles"], 1, CLASSES).countLogMask, [X, X, X, X, 0, X]);
  assert.deepEqual(ruleTargets(["a photo of five circles"], 1, CLASSES).countLogMask, [X, X, X, X, X, 0]);
});

test("rule log-probability: the product of the asked heads' probabilities", () =>
  tidy(() => {
    // uniform heads: a count 1/6 each, a colour 1/11 each, a relation 1/2
    const counts = tensor(new Float32Array(4 * 2 * 6), [4, 2, 6]);
    const colors = tensor(new Float32Array(4 * 2 * 11), [4, 2, 11]);
    const relations = tensor(new Float32Array(4 * 4), [4, 4]);
    const t = ruleTargets(["a photo of two circles", "a photo of a red star", "a photo of a circle left of a square", "hello"], 2, CLASSES);
    const lp = ruleLogProb(counts, colors, relations, t).toArray();
    close(lp[0], Math.log(1 / 6));
    close(lp[1], Math.log((5 / 6) * (1 / 11)));
    close(lp[2], Math.log((5 / 6) * (5 / 6) * 0.5));
    close(lp[3], 0);
    // a confident head moves its term only: slot 0 of "two circles" sure of two
    const sure = new Float32Array(4 * 2 * 6);
    sure[2] = 20;
    close(ruleLogProb(tensor(sure, [4, 2, 6]), colors, relations, t).toArray()[0], 0, 1e-6);
    close(logitOfLogProb(tensor([Math.log(0.25)], [1])).item(), Math.log(0.25 / 0.75));
    assert.ok(Number.isFinite(logitOfLogProb(tensor([0, -1e4], [2])).toArray()[0]));
  }));

test("a rules judge reads each named class off its own token, and answers the outcome by the rules, every other question by the yes head", () => {
  manualSeed(0);
  const config: JudgeNetConfig = { textVocab: VOCAB.length, maxText: 16, imageSize: 64, channels: [8, 8, 16], dModel: 16, layers: 1, heads: 2, questions: 4, stepBuckets: 19, answer: "rules", classes: CLASSES };
  const net = new JudgeNet(config).eval();
  const image = cleanExamples(3, 0, 1, 64)[0].image as RGBImage;
  const prompt = "a photo of a star right of a circle"; // slot 0: the star (3), slot 1: the circle (0)
  noGrad(() =>
    tidy(() => {
      const items = [{ prompt, question: QUESTION_ID.outcome }, { prompt, question: QUESTION_ID.potential, step: 3, steps: 18 }, { prompt: "a circle", question: QUESTION_ID.outcome }];
      const inp = judgeInput(net, [image, image, image], items);
      assert.deepEqual(inp.rules!.known, [1, 0, 0], "the rules answer only the readable outcome question");
      const out = net.forward(inp);
      const scene = out.scene!.counts.toArray();
      const counts = out.counts.toArray();
      const K = CLASSES.length;
      for (let c = 0; c < 6; c++) {
        close(counts[c], scene[3 * 6 + c], 1e-6); // slot 0 of row 0: the star's token
        close(counts[6 + c], scene[0 * 6 + c], 1e-6); // slot 1: the circle's
      }
      assert.equal(scene.length, 3 * K * 6);
      const rules = logitOfLogProb(ruleLogProb(out.counts, out.colors, out.relations, inp.rules!)).toArray();
      const yes = out.yes.toArray();
      close(yes[0], rules[0]);
      // with the rules switched off every row is the yes head's: row 0 changes, rows 1 and 2 do not
      const heads = net.forward({ ...inp, rules: { ...inp.rules!, known: [0, 0, 0] } }).yes.toArray();
      assert.ok(Math.abs(heads[0] - yes[0]) > 1e-4, "the outcome row answered by the rules");
      close(heads[1], yes[1], 1e-6);
      close(heads[2], yes[2], 1e-6);
      assert.throws(() => net.forward({ ...inp, rules: undefined }), /needs each row's RuleTargets/);
    }),
  );
});
