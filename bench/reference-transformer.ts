// The engine benchmark's reference model: a pre-LN bidirectional transformer over token ids,
// the same architecture as bench/native/transformer_step.cpp so the two can be compared.
import { F, LayerNorm, Linear, Embedding, Module, ModuleList, type Tensor, arange, tidy } from "../src/torch/index.js";

export interface TransformerConfig {
  vocab: number; // token ids in [0, vocab)
  seqLen: number; // positions
  dModel: number; // embedding width
  layers: number; // transformer blocks
  heads: number; // attention heads (dModel % heads == 0)
  mlpRatio: number; // hidden width = mlpRatio * dModel
}

class Block extends Module {
  readonly ln1;
  readonly qkv;
  readonly proj;
  readonly ln2;
  readonly fc;
  readonly out;
  constructor(readonly c: TransformerConfig) {
    super();
    this.ln1 = this.module("ln1", new LayerNorm(c.dModel));
    this.qkv = this.module("qkv", new Linear(c.dModel, 3 * c.dModel));
    this.proj = this.module("proj", new Linear(c.dModel, c.dModel));
    this.ln2 = this.module("ln2", new LayerNorm(c.dModel));
    this.fc = this.module("fc", new Linear(c.dModel, c.mlpRatio * c.dModel));
    this.out = this.module("out", new Linear(c.mlpRatio * c.dModel, c.dModel));
  }
  forward(x: Tensor): Tensor {
    const [B, T, D] = x.shape;
    const H = this.c.heads;
    const qkv = this.qkv.forward(this.ln1.forward(x)).reshape([B, T, 3, H, D / H]).permute([2, 0, 3, 1, 4]); // (3, B, H, T, Dh)
    const y = F.attention(qkv.select(0, 0), qkv.select(0, 1), qkv.select(0, 2)); // (B, H, T, Dh)
    x = x.add(this.proj.forward(y.transpose(1, 2).reshape([B, T, D])));
    return x.add(this.out.forward(this.fc.forward(this.ln2.forward(x)).gelu()));
  }
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
    this.blocks = this.module("blocks", new ModuleList(Array.from({ length: config.layers }, () => new Block(config))));
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
