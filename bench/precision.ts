// `imagecot bench precision`: float32 against bfloat16 mixed precision on this CPU, each at the
// threads it runs with by default (float32: OpenBLAS's threads, libtorch's pool at 1; bfloat16:
// oneDNN on libtorch's pool at every core). Speed of a matmul, of the generator's forward at the
// loops' rows and its training step, and of the judge's forward; and how far the bfloat16
// outputs are from the float32 ones.
import { cpus } from "node:os";
import { MaskedGenerator } from "../src/generator/model.js";
import { DEFAULT_MAX_ROWS } from "../src/generator/sampler.js";
import type { JudgeNet } from "../src/judges/model.js";
import { AdamW, F, type Tensor, getNumThreads, mixedPrecision, noGrad, randint, randn, setNumThreads, tidy } from "../src/torch/index.js";
import { withPrecision } from "../src/util/precision.js";

export type Mode = "float32" | "bfloat16";
const MODES: readonly Mode[] = ["float32", "bfloat16"];

/**
 * Runs fn in a mode: its threads and precision, under autocast when `amp` (else only the models'
 * own forwards are, as in training, where backward runs outside it).
 */
function inMode<T>(mode: Mode, fn: () => T, amp = true): T {
  const prev = getNumThreads();
  setNumThreads(mode === "bfloat16" ? cpus().length : 1);
  try {
    return withPrecision(mode, () => (amp ? mixedPrecision(fn) : fn()));
  } finally {
    setNumThreads(prev);
  }
}

function timeMs(fn: () => void, warmup: number, reps: number): number {
  for (let i = 0; i < warmup; i++) fn();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) fn();
  return (performance.now() - t0) / reps;
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

export function matmulGflopsIn(mode: Mode, n = 1024, reps = 10): number {
  const [a, b] = [randn([n, n]).keep(), randn([n, n]).keep()];
  const ms = inMode(mode, () => timeMs(() => a.matmul(b).dispose(), 2, reps));
  a.dispose();
  b.dispose();
  return (2 * n ** 3) / (ms * 1e6);
}

/** How far bfloat16 logits (B, ..., K) are from float32 ones, as distributions over the last axis. */
export function agreement(ref: Tensor, other: Tensor): { max_abs_logit_diff: number; mean_kl_nats: number; top1_agreement: number } {
  return noGrad(() =>
    tidy(() => {
      const K = ref.size(-1);
      const [p, q] = [ref.reshape([-1, K]), other.reshape([-1, K])];
      const lp = p.logSoftmax(-1);
      const kl = lp.exp().mul(lp.sub(q.logSoftmax(-1))).sum([1]).mean().item();
      const top1 = p.argmax(1).eq(q.argmax(1)).to("float32").mean().item();
      return { max_abs_logit_diff: round(p.sub(q).abs().amax([0, 1]).item(), 4), mean_kl_nats: round(kl, 6), top1_agreement: round(top1, 4) };
    }),
  );
}

export interface PrecisionBenchResult {
  threads: Record<Mode, number>;
  matmul_gflops: Record<Mode, number>;
  generator_forward_ms: Record<Mode, number>;
  generator_rows: number;
  generator_train_step_ms: Record<Mode, number>;
  generator_train_batch: number;
  generator_agreement: ReturnType<typeof agreement>;
  judge_forward_ms: Record<Mode | "float32_all_threads", number>;
  judge_batch: number;
  judge_max_abs_p_yes_diff: number;
}

export function benchPrecision(generator: MaskedGenerator, judge: JudgeNet, o: { reps: number; judgeBatch: number; trainBatch: number }): PrecisionBenchResult {
  const c = generator.config;
  generator.eval();
  judge.eval();
  const B = DEFAULT_MAX_ROWS;
  const text = randint(0, c.textVocab, [B, c.maxText]).keep();
  const image = randint(0, c.codebookSize + 1, [B, c.imageTokens]).keep();
  const each = <T>(f: (m: Mode) => T) => Object.fromEntries(MODES.map((m) => [m, f(m)])) as Record<Mode, T>;
  const forward = (m: Mode) => inMode(m, () => noGrad(() => generator.forward({ text, image }).keep()));
  const [ref, bf] = [forward("float32"), forward("bfloat16")];
  const generator_agreement = agreement(ref, bf);
  ref.dispose();
  bf.dispose();
  const generator_forward_ms = each((m) => round(inMode(m, () => timeMs(() => noGrad(() => generator.forward({ text, image }).dispose()), 1, o.reps))));
  // a training step of a copy, so the shipped weights stay as they are
  const train = new MaskedGenerator(c);
  train.loadStateDict(generator.stateDict());
  const opt = new AdamW(train.namedParameters(), { lr: 1e-6 });
  const tb = o.trainBatch;
  const tText = randint(0, c.textVocab, [tb, c.maxText]).keep();
  const tImage = randint(0, c.codebookSize + 1, [tb, c.imageTokens]).keep();
  const target = randint(0, c.codebookSize, [tb * c.imageTokens]).keep();
  const step = () =>
    tidy(() => {
      opt.zeroGrad();
      F.crossEntropy(train.forward({ text: tText, image: tImage }).reshape([-1, c.codebookSize]), target).backward();
      opt.step();
    });
  const generator_train_step_ms = each((m) => round(inMode(m, () => timeMs(step, 1, Math.max(2, Math.floor(o.reps / 2))), false)));
  train.dispose();
  for (const t of [text, image, tText, tImage, target]) t.dispose();
  // the judge
  const jc = judge.config;
  const J = o.judgeBatch;
  const jin = {
    image: randn([J, 3, jc.imageSize, jc.imageSize]).clamp(-1, 1).keep(),
    text: randint(0, jc.textVocab, [J, jc.maxText]).keep(),
    question: randint(0, jc.questions, [J]).keep(),
    step: randint(0, jc.stepBuckets, [J]).keep(),
  };
  const pYes = (m: Mode) => inMode(m, () => noGrad(() => tidy(() => judge.forward(jin).yes.to("float32").sigmoid().keep())));
  const [py32, py16] = [pYes("float32"), pYes("bfloat16")];
  const judge_max_abs_p_yes_diff = round(noGrad(() => tidy(() => py32.sub(py16).abs().amax([0]).item())), 4);
  py32.dispose();
  py16.dispose();
  const judgeMs = (m: Mode) => round(inMode(m, () => timeMs(() => noGrad(() => tidy(() => void judge.forward(jin))), 1, o.reps)));
  // float32 beside bfloat16's threads: what a float32 model meets in a bfloat16 process
  const prev = getNumThreads();
  setNumThreads(cpus().length);
  const allThreads = round(withPrecision("float32", () => timeMs(() => noGrad(() => tidy(() => void judge.forward(jin))), 1, o.reps)));
  setNumThreads(prev);
  const judge_forward_ms = { ...each(judgeMs), float32_all_threads: allThreads };
  for (const t of Object.values(jin)) t.dispose();
  return {
    threads: { float32: 1, bfloat16: cpus().length },
    matmul_gflops: each((m) => round(matmulGflopsIn(m))),
    generator_forward_ms,
    generator_rows: B,
    generator_train_step_ms,
    generator_train_batch: tb,
    generator_agreement,
    judge_forward_ms,
    judge_batch: J,
    judge_max_abs_p_yes_diff,
  };
}
