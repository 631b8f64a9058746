// Loading shipped weights: each file carries its model's config in its metadata.
import { MaskedGenerator, type GeneratorConfig } from "../generator/model.js";
import { VQAutoencoder, type VQConfig } from "../tokenizer/vq.js";
import { type Module, dispose } from "../torch/index.js";
import { readWeightsConfig } from "../train/checkpoint.js";

function load<C, M extends Module>(path: string, build: (c: C) => M): M {
  const { config, tensors } = readWeightsConfig<C>(path);
  try {
    const model = build(config);
    model.loadStateDict(tensors);
    return model.eval();
  } finally {
    dispose([...tensors.values()]);
  }
}

export function loadVQ(path: string): VQAutoencoder {
  return load<VQConfig, VQAutoencoder>(path, (c) => new VQAutoencoder(c));
}

export function loadGenerator(path: string): MaskedGenerator {
  return load<GeneratorConfig, MaskedGenerator>(path, (c) => new MaskedGenerator(c));
}
