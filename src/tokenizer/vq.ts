// The image tokenizer: a small conv autoencoder with finite scalar quantisation (FSQ, Mentzer et
// al. 2023) that maps a 64x64 RGB image to a grid of discrete tokens and back, plus one reserved
// token for a patch of flat background.
//
// Why the flat token: the encoder's receptive field spans the whole image and GroupNorm
// normalises over it, so a background patch's latent drifts with the shapes elsewhere and a
// learned quantiser spreads the background over hundreds of interchangeable codes (666 in the
// first tokenizer), which the generator then has to guess. A patch whose pixels are all the
// background gets one token, decoded through a learned vector; every other code carries shapes.
import { Conv2d, F, GroupNorm, Module, ModuleList, type Tensor, noGrad, tensor, tidy, where, zeros } from "../torch/index.js";
import { BACKGROUND } from "../shapes/world.js";

export interface VQConfig {
  imageSize: number; // pixels per side of the input image
  channels: number[]; // conv widths at full resolution and after each 2x downsample
  levels: number[]; // FSQ: quantisation levels per latent dimension; codes = their product
}

export const DEFAULT_VQ: VQConfig = { imageSize: 64, channels: [16, 32, 64, 128], levels: [8, 5, 5, 5] };

/** Side of the token grid: one 2x downsample per step between channel widths. */
export function gridSize(c: VQConfig): number {
  return c.imageSize / 2 ** (c.channels.length - 1);
}

/** Token ids: the FSQ lattice's points, then the flat-background token. */
export function codebookSize(c: VQConfig): number {
  return c.levels.reduce((a, b) => a * b, 1) + 1;
}

/** A pixel of the background in model units ([-1, 1]); a patch is flat when every channel is within FLAT_TOLERANCE of it. */
const BACKGROUND_UNIT = BACKGROUND.map((v) => v / 127.5 - 1);
const FLAT_TOLERANCE = 1.5 / 127.5;

/** (B, 3, S, S) in [-1, 1] -> (B, G, G) bool: patches whose every pixel is the background. */
export function flatPatches(images: Tensor, grid: number): Tensor {
  return tidy(() => {
    const bg = tensor(BACKGROUND_UNIT, [1, 3, 1, 1]);
    const off = images.sub(bg).abs().amax(1, true); // (B, 1, S, S): largest channel difference
    const patch = images.size(-1) / grid;
    return F.maxPool2d(off, patch).squeeze(1).le(FLAT_TOLERANCE); // (B, G, G)
  });
}

class ResBlock extends Module {
  readonly n1;
  readonly c1;
  readonly n2;
  readonly c2;
  constructor(ch: number) {
    super();
    this.n1 = this.module("n1", new GroupNorm(8, ch));
    this.c1 = this.module("c1", new Conv2d(ch, ch, 3, { padding: 1 }));
    this.n2 = this.module("n2", new GroupNorm(8, ch));
    this.c2 = this.module("c2", new Conv2d(ch, ch, 3, { padding: 1 }));
  }
  forward(x: Tensor): Tensor {
    const h = this.c1.forward(this.n1.forward(x).silu());
    return x.add(this.c2.forward(this.n2.forward(h).silu()));
  }
}

class Encoder extends Module {
  readonly stem;
  readonly downs;
  readonly blocks;
  readonly out;
  constructor(c: VQConfig) {
    super();
    const ch = c.channels;
    this.stem = this.module("stem", new Conv2d(3, ch[0], 3, { padding: 1 }));
    this.downs = this.module("downs", new ModuleList(ch.slice(1).map((w, i) => new Conv2d(ch[i], w, 4, { stride: 2, padding: 1 }))));
    this.blocks = this.module("blocks", new ModuleList(ch.slice(1).map((w) => new ResBlock(w))));
    this.out = this.module("out", new Conv2d(ch[ch.length - 1], c.levels.length, 1));
  }
  forward(x: Tensor): Tensor {
    let h = this.stem.forward(x).silu(); // (B, C0, S, S)
    this.downs.items.forEach((d, i) => {
      h = this.blocks.items[i].forward(d.forward(h).silu()); // halves the side each time
    });
    return this.out.forward(h); // (B, D, G, G)
  }
}

class Decoder extends Module {
  readonly inp;
  readonly blocks;
  readonly ups;
  readonly out;
  constructor(c: VQConfig) {
    super();
    const ch = [...c.channels].reverse();
    this.inp = this.module("inp", new Conv2d(c.levels.length, ch[0], 3, { padding: 1 }));
    this.blocks = this.module("blocks", new ModuleList(ch.slice(0, -1).map((w) => new ResBlock(w))));
    // nearest upsampling then a conv: no checkerboard artefacts of transposed convs
    this.ups = this.module("ups", new ModuleList(ch.slice(1).map((w, i) => new Conv2d(ch[i], w, 3, { padding: 1 }))));
    this.out = this.module("out", new Conv2d(ch[ch.length - 1], 3, 3, { padding: 1 }));
  }
  forward(z: Tensor): Tensor {
    let h = this.inp.forward(z).silu(); // (B, C, G, G)
    this.ups.items.forEach((u, i) => {
      h = this.blocks.items[i].forward(h);
      const s = h.size(-1) * 2;
      h = u.forward(F.interpolate(h, [s, s], "nearest")).silu();
    });
    return this.out.forward(h); // (B, 3, S, S) in [-1, 1] (not clamped)
  }
}

export interface VQOutput {
  recon: Tensor; // (B, 3, S, S)
  tokens: Tensor; // (B, G, G) int64
  loss: Tensor; // reconstruction (FSQ has no codebook or commitment loss)
  reconLoss: Tensor;
}

export class VQAutoencoder extends Module {
  readonly encoder;
  readonly decoder;
  readonly flatCode: Tensor; // (d): the decoder's input for the flat-background token
  private readonly fsq: { levels: number[]; half: number[]; offset: number[]; shift: number[]; centre: number[]; basis: number[] };

  constructor(readonly config: VQConfig) {
    super();
    this.encoder = this.module("encoder", new Encoder(config));
    this.decoder = this.module("decoder", new Decoder(config));
    const L = config.levels;
    this.flatCode = this.param("flat_code", zeros([L.length]));
    // FSQ's bound: z -> tanh(z + shift) * half - offset rounds to exactly L values per dimension
    const half = L.map((l) => ((l - 1) * (1 - 1e-3)) / 2);
    const offset = L.map((l) => (l % 2 === 0 ? 0.5 : 0));
    this.fsq = {
      levels: L,
      half,
      offset,
      shift: offset.map((o, i) => Math.atanh(o / half[i])),
      centre: L.map((l) => Math.floor(l / 2)), // lattice value + centre = digit in [0, L)
      basis: L.map((_, i) => L.slice(0, i).reduce((a, b) => a * b, 1)), // mixed-radix place values
    };
  }

  get grid(): number {
    return gridSize(this.config);
  }

  get codebookSize(): number {
    return codebookSize(this.config);
  }

  /** The id of the flat-background token (the last one). */
  get flatId(): number {
    return this.codebookSize - 1;
  }

  /** A per-dimension constant as a (d) tensor, broadcast over (..., d). */
  private vec(v: number[]): Tensor {
    return tensor(v, [v.length]);
  }

  /** Encoder output bounded per dimension so that rounding gives exactly L values: (B, G, G, d). */
  private bounded(images: Tensor): Tensor {
    const z = this.encoder.forward(images).permute([0, 2, 3, 1]); // (B, G, G, d)
    return z.add(this.vec(this.fsq.shift)).tanh().mul(this.vec(this.fsq.half)).sub(this.vec(this.fsq.offset));
  }

  /** Lattice values (B, G, G, d) -> decoder input, each dimension scaled to about [-1, 1]. */
  private scale(q: Tensor): Tensor {
    return q.div(this.vec(this.fsq.centre));
  }

  /** Rounded lattice values (B, G, G, d) -> token ids (B, G, G) int64. */
  private ids(q: Tensor): Tensor {
    return q.add(this.vec(this.fsq.centre)).mul(this.vec(this.fsq.basis)).sum([-1]).round().to("int64");
  }

  /** Token ids (B, G, G) -> decoder input (B, d, G, G), the flat token through its learned vector. */
  private embed(tokens: Tensor): Tensor {
    const lattice = tokens.clamp(0, this.flatId - 1).to("float32").unsqueeze(-1); // (B, G, G, 1)
    const digits = lattice.div(this.vec(this.fsq.basis)).floor().remainder(this.vec(this.fsq.levels)); // (B, G, G, d)
    const q = this.scale(digits.sub(this.vec(this.fsq.centre)));
    return where(tokens.eq(this.flatId).unsqueeze(-1), this.flatCode, q).permute([0, 3, 1, 2]);
  }

  /** images (B, 3, S, S) in [-1, 1] -> tokens (B, G, G) int64 */
  encode(images: Tensor): Tensor {
    return tidy(() =>
      noGrad(() => {
        const ids = this.ids(this.bounded(images).round());
        return where(flatPatches(images, this.grid), this.flatId, ids);
      }),
    );
  }

  /** tokens (B, G, G) int64 -> images (B, 3, S, S), clamped to [-1, 1] */
  decode(tokens: Tensor): Tensor {
    return tidy(() => this.decoder.forward(this.embed(tokens)).clamp(-1, 1));
  }

  /**
   * Training forward: straight-through rounding, flat patches through the flat code, and a
   * reconstruction loss weighted towards object pixels (objects are a small part of each image).
   */
  forward(images: Tensor, pixelWeight?: Tensor): VQOutput {
    return tidy(() => {
      const z = this.bounded(images); // (B, G, G, d)
      const q = z.add(noGrad(() => z.round().sub(z))); // straight-through: rounded forward, identity backward
      const flat = flatPatches(images, this.grid);
      const tokens = noGrad(() => where(flat, this.flatId, this.ids(q.detach())));
      const zq = where(flat.unsqueeze(-1), this.flatCode, this.scale(q)).permute([0, 3, 1, 2]);
      const recon = this.decoder.forward(zq);
      const err = recon.sub(images).pow(2);
      const reconLoss = pixelWeight ? err.mul(pixelWeight).sum().div(pixelWeight.sum().mul(3)) : err.mean();
      return { recon, tokens, loss: reconLoss, reconLoss };
    });
  }
}
