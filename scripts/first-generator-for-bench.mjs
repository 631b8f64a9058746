// The first tokenizer and generator in today's file format, for the cost guard only: the
// tokenizer gets a flat code it never uses (the first generator writes ids < 1024), and the
// generator records that tokenizer's id, so both load through loadPipeline. Usage:
//   mkdir -p runs/old && git show b951f39:models/tokenizer.safetensors > runs/old/tokenizer.safetensors
//   git show b951f39:models/generator.safetensors > runs/old/generator-raw.safetensors
//   node scripts/first-generator-for-bench.mjs   # -> runs/old/tokenizer-v1.safetensors, generator-v1.safetensors
import { loadSafetensors, saveSafetensors, zeros } from "../dist/src/torch/index.js";
import { VQAutoencoder } from "../dist/src/tokenizer/vq.js";
import { tokenizerId } from "../dist/src/tokenizer/id.js";
const tok = loadSafetensors("runs/old/tokenizer.safetensors");
const old = JSON.parse(tok.metadata.config);
const config = { imageSize: old.imageSize, channels: old.channels, codes: old.codebookSize, codeDim: old.codeDim, beta: old.beta };
const vq = new VQAutoencoder(config);
tok.tensors.set("flat_code", zeros([config.codeDim]));
vq.loadStateDict(tok.tensors);
saveSafetensors("runs/old/tokenizer-v1.safetensors", vq.stateDict(), { ...tok.metadata, config: JSON.stringify(config), note: "the first tokenizer (commit b951f39) in today's format; its flat code is never used" });
const gen = loadSafetensors("runs/old/generator-raw.safetensors");
const gcfg = { ...JSON.parse(gen.metadata.config), tokenizer: tokenizerId(vq) };
saveSafetensors("runs/old/generator-v1.safetensors", gen.tensors, { ...gen.metadata, config: JSON.stringify(gcfg), note: "the first generator (commit b951f39), its tokenizer id recorded" });
console.log("ok", tokenizerId(vq));
