// The engine benchmark's reference model: a pre-LN bidirectional transformer over token ids,
// the same architecture as bench/native/transformer_step.cpp so the two can be compared.
import { Embedding, F, LayerNorm, Linear, Module, ModuleList, type Tensor, TransformerBlock, arange, tidy } from "../src/torch/index.js";

export interface TransformerConfig {
  vocab: number; // token ids in [0, vocab)
  seqLen: number; // positions
  dModel: number; // embedding width
  layers: number; // transformer blocks
  heads: number; // attention heads (dModel % heads == 0)
  mlpRatio: number; // hidden width = mlpRatio * dModel
}

export class ReferenceTransformer extends Module {
  readonly tokEmb;
  readonly posEmb;
  readonly blocks;
  readonly lnF;
  readonly head;
  constructor(readonly config: TransformerConfig) {
    super();
    this.tokEmb = this.module("tok_emb", new Embedding(config.vocab, config.dModel, 0.02));
    this.posEmb = this.module("pos_emb", new Embedding(config.seqLen, config.dModel, 0.02));
    this.blocks = this.module("blocks", new ModuleList(Array.from({ length: config.layers }, () => new TransformerBlock(config))));
    this.lnF = this.module("ln_f", new LayerNorm(config.dModel));
    this.head = this.module("head", new Linear(config.dModel, config.vocab));
  }

  /** tokens (B, T) int64 -> logits (B, T, vocab), and the mean cross-entropy when targets are given. */
  forward(tokens: Tensor, targets?: Tensor): { logits: Tensor; loss?: Tensor } {
    return tidy(() => {
      const T = tokens.size(1);
      let x = this.tokEmb.forward(tokens).add(this.posEmb.forward(arange(0, T))); // (B, T, D)
      for (const b of this.blocks.items) x = b.forward(x);
      const logits = this.head.forward(this.lnF.forward(x)); // (B, T, V)
      if (!targets) return { logits };
      const loss = F.crossEntropy(logits.reshape([-1, this.config.vocab]), targets.reshape([-1]));
      return { logits, loss };
    });
  }
}
