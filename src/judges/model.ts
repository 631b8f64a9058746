// The embedded judge: a small image+text network. A CNN turns the 64x64 image into an 8x8 grid
// of patch vectors; a transformer reads [question, step, prompt words, patches] and answers
// from the question token: a yes/no logit, plus the reflection heads (per mentioned object:
// how many, which colour; and where the first lies relative to the second).
// A "rules" judge also reads one token per class of the world: each class token says how many
// of its class the image holds and the colour of the most confident one, a pair of them where
// one lies relative to the other, and its outcome answer is that reading judged by GenEval's
// rules (rules-answer.ts). Seeing is then asked of the class tokens, the same for every prompt,
// instead of a question token that must first read which class the prompt names. It may also
// carry a counting head (config.counter), whose counts the reflection reads: a sum over the patches.
import { RELATIONS } from "../geneval/types.js";
import { Conv2d, Embedding, GroupNorm, LayerNorm, Linear, Module, ModuleList, type Tensor, TransformerBlock, arange, autocast, cat, mixedPrecision, tensor, tidy } from "../torch/index.js";
import { MAX_OBSERVED_COUNT, NO_COLOR } from "../geneval/observe.js";
import { type RuleTargets, logitOfLogProb, ruleLogProb } from "./rules-answer.js";

export interface JudgeNetConfig {
  textVocab: number;
  maxText: number;
  imageSize: number; // square input, a multiple of 8
  channels: number[]; // conv widths, one stride-2 stage each (3 stages: 64 -> 8)
  dModel: number;
  layers: number;
  heads: number;
  questions: number; // question embeddings
  stepBuckets: number; // step embeddings; the last one means "a final image"
  /** the outcome answer: the yes head, or the class tokens' reading judged by GenEval's rules (rules-answer.ts); absent in older weights: head */
  answer?: "head" | "rules";
  /** a rules judge's classes, one token each, in the order RuleTargets.slotClass indexes */
  classes?: string[];
  /**
   * a rules judge's counting head (absent: none): per patch token and class, `hidden` features
   * summed over the patches, then read as count logits. A count is a sum, which a class token's
   * attention (an average over the patches) holds only approximately. The reflection reads its
   * counts; the rules answer too where `answers` is set, else it keeps the class tokens'. It reads
   * the patch tokens at the transformer's end (`from` "tokens", the default), which have seen the
   * prompt, the image tower's patches before it ("tower"), which are local, or a conv tower of its
   * own over the pixels ("pixels", of widths `channels`), which trains with the head.
   */
  counter?: { hidden: number; answers?: boolean; from?: "tokens" | "tower" | "pixels"; channels?: number[] };
}

export const DEFAULT_JUDGE_NET: Omit<JudgeNetConfig, "textVocab" | "maxText"> = {
  imageSize: 64,
  channels: [32, 64, 128],
  dModel: 128,
  layers: 2,
  heads: 4,
  questions: 4,
  stepBuckets: 19,
};

/** Slots of the reflection heads: the prompt's objects in mention order. */
export const SLOTS = 2;
const COUNT_CLASSES = MAX_OBSERVED_COUNT + 1;
const COLOR_CLASSES = NO_COLOR + 1;

export interface JudgeNetInput {
  image: Tensor; // (B, 3, S, S) float in [-1, 1]
  text: Tensor; // (B, maxText) int64
  question: Tensor; // (B) int64
  step: Tensor; // (B) int64 bucket
  /** what each question asks of the class tokens: a rules judge needs it for every row */
  rules?: RuleTargets;
}

export interface JudgeNetOutput {
  yes: Tensor; // (B) logit of "yes"
  counts: Tensor; // (B, SLOTS, COUNT_CLASSES) logits
  colors: Tensor; // (B, SLOTS, COLOR_CLASSES) logits
  relations: Tensor; // (B, RELATIONS) logits, multi-label
  /** a rules judge's reading of every class: (B, K, COUNT_CLASSES) and (B, K, COLOR_CLASSES) logits */
  scene?: { counts: Tensor; colors: Tensor };
  /** a rules judge's yes head on every row (B), also where the rules answer: it is trained on all of them */
  head?: Tensor;
  /** the counting head's logits for each slot's class, where the judge has one: (B, SLOTS, COUNT_CLASSES) */
  counted?: Tensor;
}

/** Halves the resolution, then one residual 3x3 conv at the new one. */
class ConvStage extends Module {
  readonly down;
  readonly norm1;
  readonly conv;
  readonly norm2;
  constructor(inC: number, outC: number) {
    super();
    this.down = this.module("down", new Conv2d(inC, outC, 3, { stride: 2, padding: 1 }));
    this.norm1 = this.module("norm1", new GroupNorm(8, outC));
    this.conv = this.module("conv", new Conv2d(outC, outC, 3, { padding: 1 }));
    this.norm2 = this.module("norm2", new GroupNorm(8, outC));
  }
  forward(x: Tensor): Tensor {
    const h = this.norm1.forward(this.down.forward(x)).gelu();
    return h.add(this.norm2.forward(this.conv.forward(h)).gelu());
  }
}

/** One ConvStage per width, from RGB: S -> S / 2^widths. */
const convTower = (widths: readonly number[]) => new ModuleList(widths.map((w, i) => new ConvStage(i === 0 ? 3 : widths[i - 1], w)));

/** The image through a tower and its 1x1 projection, as patch vectors: (B, 3, S, S) -> (B, P, D). */
function towerPatches(stages: ModuleList<ConvStage>, proj: Conv2d, image: Tensor): Tensor {
  let f = image;
  for (const s of stages.items) f = s.forward(f);
  return proj.forward(f).flatten(2).transpose(1, 2);
}

export class JudgeNet extends Module {
  readonly stages;
  readonly patchProj;
  readonly tokEmb;
  readonly posEmb;
  readonly questionEmb;
  readonly stepEmb;
  readonly classEmb;
  readonly blocks;
  readonly lnF;
  readonly yesHead;
  readonly countHead;
  readonly colorHead;
  readonly relationHead;
  readonly counterIn;
  readonly counterOut;
  readonly counterStages;
  readonly counterProj;

  constructor(readonly config: JudgeNetConfig) {
    super();
    const c = config;
    const K = this.classCount();
    this.stages = this.module("stages", convTower(c.channels));
    const patches = (c.imageSize / 2 ** c.channels.length) ** 2;
    // a 1x1 conv, not a Linear after the transpose: libtorch 1.13's GroupNorm backward misreads a
    // non-contiguous incoming gradient (test/judges/embedded.test.ts), and conv's backward hands it a contiguous one
    this.patchProj = this.module("patch_proj", new Conv2d(c.channels.at(-1)!, c.dModel, 1));
    this.tokEmb = this.module("tok_emb", new Embedding(c.textVocab, c.dModel, 0.02));
    this.posEmb = this.module("pos_emb", new Embedding(2 + c.maxText + K + patches, c.dModel, 0.02));
    this.questionEmb = this.module("question_emb", new Embedding(c.questions, c.dModel, 0.02));
    this.stepEmb = this.module("step_emb", new Embedding(c.stepBuckets, c.dModel, 0.02));
    this.classEmb = K > 0 ? this.module("class_emb", new Embedding(K, c.dModel, 0.02)) : null;
    this.blocks = this.module("blocks", new ModuleList(Array.from({ length: c.layers }, () => new TransformerBlock({ dModel: c.dModel, heads: c.heads, mlpRatio: 4, dropout: 0.1, gelu: "tanh" }))));
    this.lnF = this.module("ln_f", new LayerNorm(c.dModel));
    this.yesHead = this.module("yes_head", new Linear(c.dModel, 1));
    // slots read off the question token; a rules judge reads each class off its own token, and a relation off a pair
    this.countHead = this.module("count_head", new Linear(c.dModel, (K > 0 ? 1 : SLOTS) * COUNT_CLASSES));
    this.colorHead = this.module("color_head", new Linear(c.dModel, (K > 0 ? 1 : SLOTS) * COLOR_CLASSES));
    this.relationHead = this.module("relation_head", new Linear((K > 0 ? SLOTS : 1) * c.dModel, RELATIONS.length));
    if (c.counter && K === 0) throw new Error("a counting head needs a rules judge's classes");
    this.counterIn = c.counter ? this.module("counter_in", new Linear(c.dModel, K * c.counter.hidden)) : null;
    this.counterOut = c.counter ? this.module("counter_out", new Linear(c.counter.hidden, COUNT_CLASSES)) : null;
    const own = c.counter?.from === "pixels" ? (c.counter.channels ?? c.channels) : null;
    if (own && own.length !== c.channels.length) throw new Error(`the counting head's tower needs ${c.channels.length} stages (the judge's patch grid), got ${own.length}`);
    this.counterStages = own ? this.module("counter_stages", convTower(own)) : null;
    this.counterProj = own ? this.module("counter_proj", new Conv2d(own.at(-1)!, c.dModel, 1)) : null;
  }

  /** Class tokens: the classes of a rules judge, none otherwise. */
  private classCount(): number {
    if (this.config.answer !== "rules") return 0;
    if (!this.config.classes?.length) throw new Error("a rules judge needs its classes (config.classes)");
    return this.config.classes.length;
  }

  /** The heads' logits, in float32 (the body runs in the process's precision, util/precision.ts). */
  forward(inp: JudgeNetInput): JudgeNetOutput {
    const c = this.config;
    const K = this.classCount();
    const r = inp.rules;
    if (K > 0 && !r) throw new Error("a rules judge needs each row's RuleTargets (judgeInput makes them)");
    return tidy(() => mixedPrecision(() => {
      const { x, patches } = this.body(inp);
      const B = x.size(0);
      const h = this.lnF.forward(x.select(1, 0)).to("float32"); // (B, D): the question token
      const hc = K > 0 ? this.lnF.forward(x.slice(1, 2 + c.maxText, 2 + c.maxText + K)).to("float32") : null; // (B, K, D): the class tokens
      const hp = this.counterIn ? this.counterInput(x, patches, inp.image) : null; // (B, P, D)
      // the heads in float32: bfloat16 logits would tie paths whose answers differ by less than its rounding
      return autocast(false, () => {
        const head = this.yesHead.forward(h).squeeze(1);
        if (!hc || !r) {
          return {
            yes: head,
            counts: this.countHead.forward(h).reshape([B, SLOTS, COUNT_CLASSES]),
            colors: this.colorHead.forward(h).reshape([B, SLOTS, COLOR_CLASSES]),
            relations: this.relationHead.forward(h),
          };
        }
        const scene = { counts: this.countHead.forward(hc), colors: this.colorHead.forward(hc) }; // (B, K, C)
        // each slot's class, by slotClass or namedClass: (B, K, C) -> (B, SLOTS, C)
        const pickBy = (classOf: readonly number[]) => {
          const slot = tensor(classOf.map((k) => Math.max(k, 0)), [B, SLOTS, 1], "int64");
          return (t: Tensor) => t.gather(1, slot.expand([B, SLOTS, t.size(2)]));
        };
        const pick = pickBy(r.slotClass);
        const counts = pick(scene.counts);
        const colors = pick(scene.colors);
        const relations = this.relationHead.forward(pick(hc).reshape([B, SLOTS * c.dModel]));
        // the head does not see the prompt: it reads the named class even where the rules answer cannot settle the prompt
        const counted = hp ? pickBy(r.namedClass)(this.countLogits(hp)) : undefined;
        const m = tensor(r.known, [B]); // 1: the rules answer; 0: the head
        const rules = logitOfLogProb(ruleLogProb(counted && c.counter?.answers ? counted : counts, colors, relations, r));
        return { yes: head.mul(m.neg().add(1)).add(rules.mul(m)), counts, colors, relations, scene, head, ...(counted && { counted }) };
      });
    }));
  }

  /** The transformer's output over [question, step, prompt words, class tokens, patches]: (B, L, D). */
  private body(inp: JudgeNetInput): { x: Tensor; patches: Tensor } {
    const c = this.config;
    const K = this.classCount();
    const patches = towerPatches(this.stages, this.patchProj, inp.image); // (B, P, D)
    const B = patches.size(0);
    const parts = [this.questionEmb.forward(inp.question).unsqueeze(1), this.stepEmb.forward(inp.step).unsqueeze(1), this.tokEmb.forward(inp.text)];
    if (this.classEmb) parts.push(this.classEmb.weight.unsqueeze(0).expand([B, K, c.dModel])); // (B, K, D)
    const x0 = cat([...parts, patches], 1);
    let x = x0.add(this.posEmb.forward(arange(0, x0.size(1))));
    for (const b of this.blocks.items) x = b.forward(x);
    return { x, patches };
  }

  /** What the counting head reads, in float32: the patch tokens at the transformer's end, normalised, the image tower's patches, or its own tower's: (B, P, D). */
  private counterInput(x: Tensor, patches: Tensor, image: Tensor): Tensor {
    const c = this.config;
    const from = c.counter?.from;
    if (from === "pixels") return this.counterPatches(image);
    return (from === "tower" ? patches : this.lnF.forward(x.slice(1, 2 + c.maxText + this.classCount()))).to("float32");
  }

  /** The counting head's input from the judge's body, frozen while the head trains (train-counter.ts). */
  patchTokens(inp: JudgeNetInput): Tensor {
    if (this.counterStages) throw new Error("this counting head reads its own tower: counterPatches(image)");
    return tidy(() => mixedPrecision(() => {
      const { x, patches } = this.body(inp);
      return this.counterInput(x, patches, inp.image);
    }));
  }

  /** The counting head's own tower (from "pixels"), which trains with it: image (B, 3, S, S) -> (B, P, D) float32. */
  counterPatches(image: Tensor): Tensor {
    if (!this.counterStages || !this.counterProj) throw new Error("this counting head has no tower of its own");
    return tidy(() => mixedPrecision(() => towerPatches(this.counterStages!, this.counterProj!, image).to("float32")));
  }

  /** The counting head: every class's count logits from the patch tokens (B, P, D) -> (B, K, COUNT_CLASSES). */
  countLogits(hp: Tensor): Tensor {
    if (!this.counterIn || !this.counterOut) throw new Error("this judge has no counting head");
    const [B, P] = hp.shape;
    const K = this.classCount();
    return autocast(false, () => {
      const per = this.counterIn!.forward(hp).gelu("tanh").reshape([B, P, K, -1]); // (B, P, K, H)
      return this.counterOut!.forward(per.sum(1)); // summed over the patches: (B, K, H) -> (B, K, C)
    });
  }
}
