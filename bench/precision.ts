// `imagecot bench precision`: float32 against bfloat16 mixed precision on this CPU, each at the
// threads it runs with by default (float32: OpenBLAS's threads, libtorch's pool at 1; bfloat16:
// oneDNN on libtorch's pool at every core). Speed of a matmul, of the generator's forward at the
// loops' rows and its training step, and of the judge's forward; and how far the bfloat16
// outputs are from the float32 ones.
import { MaskedGenerator } from "../src/generator/model.js";
import { DEFAULT_MAX_ROWS } from "../src/generator/sampler.js";
import type { JudgeNet } from "../src/judges/model.js";
import { AdamW, F, type Tensor, defaultThreads, getNumThreads, mixedPrecision, noGrad, randint, randn, setNumThreads, tidy } from "../src/torch/index.js";
import { withPrecision } from "../src/util/precision.js";
import { matmulGflops, timeMs } from "./engine.js";

export type Mode = "float32" | "bfloat16";
const MODES: readonly Mode[] = ["float32", "bfloat16"];

/**
 * Runs fn in a mode: its precision and its default threads (or `threads`), under autocast when
 * `amp` (else only the models' own forwards are, as in training, where backward runs outside it).
 */
function inMode<T>(mode: Mode, fn: () => T, amp = true, threads = defaultThreads(mode)): T {
  const prev = getNumThreads();
  setNumThreads(threads);
  try {
    return withPrecision(mode, () => (amp ? mixedPrecision(fn) : fn()));
  } finally {
    setNumThreads(prev);
  }
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

/** The 1024³ matmul of `bench engine`, in a mode. */
export function matmulGflopsIn(mode: Mode): number {
  return inMode(mode, () => matmulGflops());
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
  /** one MLP activation of the pass, (rows x tokens, mlpRatio x dModel), per GELU kernel */
  gelu_bfloat16_ms: { tanh: number; exact: number };
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
  // why the transformer block computes tanh GELU exactly in bfloat16 (torch/nn.ts): one MLP
  // activation of the loops' pass, timed with either kernel
  const act = inMode("bfloat16", () => randn([B * (c.maxText + c.imageTokens), c.mlpRatio * c.dModel]).to("bfloat16").keep());
  const geluMs = (kind: "tanh" | "none") => round(inMode("bfloat16", () => timeMs(() => noGrad(() => act.gelu(kind).dispose()), 2, 4 * o.reps)), 2);
  const gelu_bfloat16_ms = { tanh: geluMs("tanh"), exact: geluMs("none") };
  act.dispose();
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
  const allThreads = round(inMode("float32", () => timeMs(() => noGrad(() => tidy(() => void judge.forward(jin))), 1, o.reps), true, defaultThreads("bfloat16")));
  const judge_forward_ms = { ...each(judgeMs), float32_all_threads: allThreads };
  for (const t of Object.values(jin)) t.dispose();
  return {
    threads: each(defaultThreads),
    matmul_gflops: each((m) => round(matmulGflopsIn(m))),
    generator_forward_ms,
    generator_rows: B,
    generator_train_step_ms,
    generator_train_batch: tb,
    generator_agreement,
    gelu_bfloat16_ms,
    judge_forward_ms,
    judge_batch: J,
    judge_max_abs_p_yes_diff,
  };
}
