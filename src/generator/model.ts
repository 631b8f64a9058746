// The generator: a Show-o-style masked-token transformer. One bidirectional transformer reads
// a sequence of segments - the prompt, optionally a reason and a previous image (for
// self-correction), and the image being decoded - and predicts every masked image token.
import { Embedding, LayerNorm, Linear, Module, ModuleList, type Tensor, TransformerBlock, arange, cat, full, mixedPrecision, tidy } from "../torch/index.js";

export interface GeneratorConfig {
  textVocab: number; // text token ids [0, textVocab)
  codebookSize: number; // image token ids [0, codebookSize); id codebookSize is [MASK]
  imageTokens: number; // tokens per image (grid side squared)
  maxText: number; // prompt segment length (padded)
  maxReason: number; // reason segment length (padded), for self-correction
  dModel: number; // width
  layers: number; // transformer blocks
  heads: number; // attention heads
  mlpRatio: number; // MLP hidden width over dModel
  dropout: number; // on attention output and MLP during training
  tokenizer?: string; // id of the tokenizer whose codes it reads and writes (tokenizer/id.ts)
}

export const DEFAULT_GENERATOR: Omit<GeneratorConfig, "textVocab" | "codebookSize" | "imageTokens"> = {
  maxText: 16,
  maxReason: 24,
  dModel: 192,
  layers: 6,
  heads: 6,
  mlpRatio: 4,
  dropout: 0.05,
};

/** Segment ids: each segment has its own learned type embedding. */
export const SEGMENT = { prompt: 0, reason: 1, previous: 2, image: 3 } as const;

export interface GeneratorInput {
  text: Tensor; // (B, maxText) int64: prompt ids, [PAD]-padded; [NULL] rows for unconditional
  image: Tensor; // (B, imageTokens) int64: image ids with [MASK] = codebookSize where unknown
  reason?: Tensor; // (B, maxReason) int64, self-correction only
  previous?: Tensor; // (B, imageTokens) int64: the previous attempt's tokens, self-correction only
}

export class MaskedGenerator extends Module {
  readonly tokEmb;
  readonly posEmb;
  readonly segEmb;
  readonly blocks;
  readonly lnF;
  readonly head;

  constructor(readonly config: GeneratorConfig) {
    super();
    const c = config;
    const vocab = c.textVocab + c.codebookSize + 1; // text ids, image ids, [MASK]
    this.tokEmb = this.module("tok_emb", new Embedding(vocab, c.dModel, 0.02));
    this.posEmb = this.module("pos_emb", new Embedding(c.maxText + c.maxReason + 2 * c.imageTokens, c.dModel, 0.02));
    this.segEmb = this.module("seg_emb", new Embedding(4, c.dModel, 0.02));
    this.blocks = this.module("blocks", new ModuleList(Array.from({ length: c.layers }, () => new TransformerBlock({ ...c, gelu: "tanh" }))));
    this.lnF = this.module("ln_f", new LayerNorm(c.dModel));
    this.head = this.module("head", new Linear(c.dModel, c.codebookSize));
  }

  get maskId(): number {
    return this.config.codebookSize;
  }

  /** Embeds one segment: token ids offset into the shared table, positions, and the segment type. */
  private segment(ids: Tensor, offset: number, posStart: number, seg: number): Tensor {
    const T = ids.size(1);
    const tok = this.tokEmb.forward(offset === 0 ? ids : ids.add(offset));
    const at = (t: Tensor) => t.toDevice(ids.device); // the ids' device: a model moved to a GPU runs there
    return tok.add(this.posEmb.forward(at(arange(posStart, posStart + T)))).add(this.segEmb.forward(at(full([1], seg, "int64"))));
  }

  /** Logits over the codebook for every image position: (B, imageTokens, codebookSize), float32. */
  forward(inp: GeneratorInput): Tensor {
    return tidy(() => mixedPrecision(() => {
      const c = this.config;
      const parts = [this.segment(inp.text, 0, 0, SEGMENT.prompt)];
      if (inp.reason) parts.push(this.segment(inp.reason, 0, c.maxText, SEGMENT.reason));
      if (inp.previous) parts.push(this.segment(inp.previous, c.textVocab, c.maxText + c.maxReason, SEGMENT.previous));
      parts.push(this.segment(inp.image, c.textVocab, c.maxText + c.maxReason + c.imageTokens, SEGMENT.image));
      let x = cat(parts, 1); // (B, T, D)
      for (const b of this.blocks.items) x = b.forward(x);
      const img = x.slice(1, -c.imageTokens); // (B, imageTokens, D)
      return this.head.forward(this.lnF.forward(img)).to("float32"); // bfloat16 out of autocast
    }));
  }
}
