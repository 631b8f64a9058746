// `imagecot bench device`: the engine on an accelerator, where the binding was built against a
// libtorch with CUDA (README: Another libtorch). Whether the device is seen, matmul rates there
// against this machine's CPU, host<->device copies, that a product there matches the CPU's, and
// the shipped generator's forward pass there: the figure that says what sampling would gain.
import { loadGenerator } from "../src/models/load.js";
import { cudaAvailable, full, noGrad, randint, randn, tidy, torchVersion, type Tensor } from "../src/torch/index.js";
import { InputError } from "../src/util/errors.js";
import { matmulGflops, timeMs } from "./engine.js";

export interface DeviceBenchOptions {
  device: string; // "cuda", "cuda:1"
  generator: string; // weights of the generator to time
  batches: number[]; // sequences per forward pass (both CFG halves count)
  reps: number;
}

/** Times fn on the device: the work is queued, so one read of its last result waits for it all. */
function deviceMs(fn: () => Tensor, warmup: number, reps: number): number {
  const run = (n: number) => {
    let last: Tensor | null = null;
    for (let i = 0; i < n; i++) {
      last?.dispose();
      last = fn();
    }
    last!.sum().item();
    last!.dispose();
  };
  run(warmup);
  const t0 = performance.now();
  run(reps);
  return (performance.now() - t0) / reps;
}

function deviceMatmulTflops(device: string, n: number, dtype: "float32" | "bfloat16", reps: number): number {
  return tidy(() => {
    const a = randn([n, n]).to(dtype).toDevice(device);
    const b = randn([n, n]).to(dtype).toDevice(device);
    return (2 * n ** 3) / (deviceMs(() => a.matmul(b), 3, reps) * 1e9);
  });
}

/** GB/s of one copy of `mib` MiB each way. */
function copyGbps(device: string, mib: number): { host_to_device: number; device_to_host: number } {
  return tidy(() => {
    const host = randn([(mib * 2 ** 20) / 4]);
    const bytes = mib * 2 ** 20;
    const h2d = deviceMs(() => host.toDevice(device), 2, 5);
    const onDevice = host.toDevice(device);
    const d2h = timeMs(() => onDevice.toDevice("cpu").dispose(), 2, 5); // a copy to the host waits for itself
    return { host_to_device: Math.round(bytes / (h2d * 1e6)), device_to_host: Math.round(bytes / (d2h * 1e6)) };
  });
}

/** Largest |device - cpu| over a float32 product, relative to the largest |cpu| entry. */
function matmulAgreement(device: string): number {
  return tidy(() => {
    const a = randn([512, 512]);
    const b = randn([512, 512]);
    const cpu = a.matmul(b);
    const dev = a.toDevice(device).matmul(b.toDevice(device)).toDevice("cpu");
    return dev.sub(cpu).abs().amax([0, 1]).item() / cpu.abs().amax([0, 1]).item();
  });
}

/** Sequences per second of the generator's forward, on the CPU and on the device, per batch. */
function generatorRates(o: DeviceBenchOptions): { batch: number; cpu_seqs_per_s: number | null; device_seqs_per_s: number }[] {
  const model = loadGenerator(o.generator); // in eval mode
  const c = model.config;
  const input = (batch: number, device: string) => ({
    text: randint(1, c.textVocab, [batch, c.maxText]).toDevice(device),
    image: full([batch, c.imageTokens], c.codebookSize, "int64").toDevice(device), // every token masked, as at step 1
  });
  const rate = (batch: number, device: string, reps: number) =>
    noGrad(() =>
      tidy(() => {
        const inp = input(batch, device);
        return batch / (deviceMs(() => model.forward(inp), 2, reps) / 1000);
      }),
    );
  // the CPU's rate at the loops' batch only: larger ones take minutes there and pay nothing
  const cpu = new Map(o.batches.filter((b) => b <= 160).map((b) => [b, rate(b, "cpu", 3)]));
  model.to(o.device);
  const out = o.batches.map((batch) => ({ batch, cpu_seqs_per_s: round(cpu.get(batch) ?? null), device_seqs_per_s: round(rate(batch, o.device, o.reps))! }));
  model.dispose();
  return out;
}

function round(x: number | null): number | null {
  return x === null ? null : Math.round(x * 10) / 10;
}

export function runDeviceBench(o: DeviceBenchOptions) {
  if (!cudaAvailable())
    throw new InputError(`bench device: this binding's libtorch (${torchVersion()}) sees no CUDA device; build it against a CUDA libtorch (LIBTORCH=... npm run build:native)`);
  return {
    device: o.device,
    torch_version: torchVersion(),
    cpu_matmul_gflops_1024: round(matmulGflops()),
    device_matmul_tflops: {
      float32_4096: round(deviceMatmulTflops(o.device, 4096, "float32", 20)),
      bfloat16_4096: round(deviceMatmulTflops(o.device, 4096, "bfloat16", 20)),
      bfloat16_8192: round(deviceMatmulTflops(o.device, 8192, "bfloat16", 10)),
    },
    copy_gb_per_s_256mib: copyGbps(o.device, 256),
    matmul_relative_difference_vs_cpu: matmulAgreement(o.device),
    generator: { weights: o.generator, passes: generatorRates(o) },
  };
}
