// The image tokenizer: a small VQ autoencoder (VQ-VAE with an l2-normalised codebook, as in
// ViT-VQGAN) that maps a 64x64 RGB image to a grid of discrete tokens and back, plus one
// reserved token for a patch of flat background.
//
// Why the flat token: the encoder's receptive field spans the whole image and GroupNorm
// normalises over it, so a background patch's latent drifts with the shapes elsewhere, and the
// first tokenizer spread the background over 666 interchangeable codes (dead-code revival kept
// moving codes there, since 73% of latents are background), which the generator then had to
// guess. A patch whose pixels are all the background now gets one token, decoded through a
// learned vector, and revival draws only from latents of patches with a shape in them, so every
// learned code carries shapes. (Finite scalar quantisation was tried first, and lost too much:
// results/tokenizer-attempt-fsq.json.)
import { Conv2d, F, GroupNorm, Module, ModuleList, type Tensor, noGrad, randn, tensor, tidy, where, zeros } from "../torch/index.js";
import { BACKGROUND } from "../shapes/world.js";
import type { RGBImage } from "../shapes/image.js";
import { imagesToTensor, tensorToImages } from "./pixels.js";

export interface VQConfig {
  imageSize: number; // pixels per side of the input image
  channels: number[]; // conv widths at full resolution and after each 2x downsample
  codes: number; // learned codes; token ids are these plus the flat-background token
  codeDim: number; // width of a code vector (small dims keep the codebook well used)
  beta: number; // commitment weight: pulls encoder outputs towards their codes
}

export const DEFAULT_VQ: VQConfig = { imageSize: 64, channels: [16, 32, 64, 128], codes: 1024, codeDim: 32, beta: 0.25 };

/** Side of the token grid: one 2x downsample per step between channel widths. */
export function gridSize(c: VQConfig): number {
  return c.imageSize / 2 ** (c.channels.length - 1);
}

/** Token ids: the learned codes, then the flat-background token. */
export function codebookSize(c: VQConfig): number {
  return c.codes + 1;
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
    this.out = this.module("out", new Conv2d(ch[ch.length - 1], c.codeDim, 1));
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
    this.inp = this.module("inp", new Conv2d(c.codeDim, ch[0], 3, { padding: 1 }));
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
  loss: Tensor; // reconstruction + codebook + commitment
  reconLoss: Tensor;
}

export class VQAutoencoder extends Module {
  readonly encoder;
  readonly decoder;
  readonly codebook: Tensor; // (codes, D), compared after l2 normalisation
  readonly flatCode: Tensor; // (D): the decoder's input for the flat-background token

  constructor(readonly config: VQConfig) {
    super();
    this.encoder = this.module("encoder", new Encoder(config));
    this.decoder = this.module("decoder", new Decoder(config));
    this.codebook = this.param("codebook", noGrad(() => tidy(() => randn([config.codes, config.codeDim]))));
    this.flatCode = this.param("flat_code", zeros([config.codeDim]));
  }

  get grid(): number {
    return gridSize(this.config);
  }

  /** Token ids in all: the learned codes and the flat token. */
  get codebookSize(): number {
    return codebookSize(this.config);
  }

  /** The id of the flat-background token (the last one). */
  get flatId(): number {
    return this.config.codes;
  }

  private normalisedCodebook(): Tensor {
    return this.codebook.div(this.codebook.pow(2).sum([1], true).sqrt().add(1e-6));
  }

  /** Encoder output, l2-normalised per position: (B, G, G, D). */
  private latents(images: Tensor): Tensor {
    const z = this.encoder.forward(images).permute([0, 2, 3, 1]); // (B, G, G, D)
    return z.div(z.pow(2).sum([-1], true).sqrt().add(1e-6));
  }

  /** Nearest code by cosine similarity. z (..., D) -> indices (...) */
  private nearest(z: Tensor, book: Tensor): Tensor {
    return z.matmul(book.transpose(0, 1)).argmax(-1);
  }

  /** images (B, 3, S, S) in [-1, 1] -> tokens (B, G, G) int64 */
  encode(images: Tensor): Tensor {
    return tidy(() =>
      noGrad(() => where(flatPatches(images, this.grid), this.flatId, this.nearest(this.latents(images), this.normalisedCodebook()))),
    );
  }

  /** tokens (B, G, G) int64 -> images (B, 3, S, S), clamped to [-1, 1] */
  decode(tokens: Tensor): Tensor {
    return tidy(() => {
      const flat = tokens.eq(this.flatId).unsqueeze(-1); // (B, G, G, 1)
      const zq = F.embedding(this.normalisedCodebook(), tokens.clamp(0, this.flatId - 1)); // (B, G, G, D)
      return this.decoder.forward(where(flat, this.flatCode, zq).permute([0, 3, 1, 2])).clamp(-1, 1);
    });
  }

  /** Images to their token grids, each flattened row-major to G*G ids. */
  tokenize(images: RGBImage[]): number[][] {
    if (images.length === 0) return [];
    const L = this.grid ** 2;
    const ids = noGrad(() => tidy(() => this.encode(imagesToTensor(images)).reshape([images.length, L]).toArray()));
    return images.map((_, i) => ids.slice(i * L, (i + 1) * L));
  }

  /** Images through the tokenizer and back: what the generator's images look like at best. */
  reconstruct(images: RGBImage[]): RGBImage[] {
    return images.length === 0 ? [] : noGrad(() => tidy(() => tensorToImages(this.decode(this.encode(imagesToTensor(images))))));
  }

  /**
   * Training forward: straight-through quantisation, codebook and commitment losses on patches
   * with a shape, flat patches through the flat code, and a reconstruction loss weighted towards
   * object pixels (objects are a small part of each image).
   */
  forward(images: Tensor, pixelWeight?: Tensor): VQOutput {
    return tidy(() => {
      const z = this.latents(images); // (B, G, G, D)
      const book = this.normalisedCodebook();
      const flat = flatPatches(images, this.grid); // (B, G, G)
      const tokens = noGrad(() => where(flat, this.flatId, this.nearest(z, book)));
      const zq = F.embedding(book, tokens.clamp(0, this.flatId - 1)); // (B, G, G, D)
      const shaped = flat.logicalNot().unsqueeze(-1).to("float32"); // (B, G, G, 1): where the codebook is used
      const n = shaped.sum().mul(this.config.codeDim).add(1);
      const codebookLoss = zq.sub(z.detach()).pow(2).mul(shaped).sum().div(n);
      const commitLoss = z.sub(zq.detach()).pow(2).mul(shaped).sum().div(n);
      const zst = z.add(zq.sub(z).detach()); // straight-through gradient to the encoder
      const zin = where(flat.unsqueeze(-1), this.flatCode, zst).permute([0, 3, 1, 2]);
      const recon = this.decoder.forward(zin);
      const err = recon.sub(images).pow(2);
      const reconLoss = pixelWeight ? err.mul(pixelWeight).sum().div(pixelWeight.sum().mul(3)) : err.mean();
      const loss = reconLoss.add(codebookLoss).add(commitLoss.mul(this.config.beta));
      return { recon, tokens, loss, reconLoss };
    });
  }

  /** Moves the given codes onto encoder outputs of patches with a shape: revives codes that no input uses. */
  reviveCodes(dead: number[], images: Tensor): void {
    if (dead.length === 0) return;
    noGrad(() =>
      tidy(() => {
        const shaped = flatPatches(images, this.grid).logicalNot().reshape([-1]); // (N)
        const z = this.latents(images).reshape([-1, this.config.codeDim]); // (N, D)
        const rows = shaped.nonzero().reshape([-1]).toArray();
        if (rows.length === 0) return;
        dead.forEach((code, i) => {
          const src = z.select(0, rows[(i * 7919) % rows.length]);
          this.codebook.select(0, code).copy_(src);
        });
      }),
    );
  }
}
