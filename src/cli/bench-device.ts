// `imagecot bench device`: the tensor engine on an accelerator (bench/device.ts).
import { type Command, InvalidArgumentError, Option } from "commander";
import { runDeviceBench } from "../../bench/device.js";
import { DEFAULT_GENERATOR_WEIGHTS } from "../models/paths.js";
import { writeResult } from "../util/provenance.js";
import { positiveIntListOption, positiveIntOption } from "./options.js";

function deviceOption(value: string): string {
  if (!/^cuda(:\d+)?$/.test(value)) throw new InvalidArgumentError(`expected cuda or cuda:N, got '${value}'`);
  return value;
}

export function addDeviceBench(bench: Command): void {
  bench
    .command("device")
    .description("matmul rates, copies and the generator's forward on a CUDA device (a binding built against a CUDA libtorch)")
    .addOption(new Option("--device <name>", "a CUDA device: cuda or cuda:N").default("cuda").argParser(deviceOption))
    .option("--generator <file>", "generator weights to time", DEFAULT_GENERATOR_WEIGHTS)
    .addOption(new Option("--batches <list>", "sequences per generator pass").default([80, 160, 1280, 8192]).argParser(positiveIntListOption))
    .addOption(new Option("--reps <n>", "timed passes per batch on the device").default(10).argParser(positiveIntOption))
    .option("--json", "print compact JSON")
    .option("--out <file>", "also write the figures with their provenance (e.g. results/device-h200.json)")
    .addHelpText("after", "\nExample, on a machine with a GPU:\n  LIBTORCH=$(python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))') npm run build:native\n  imagecot bench device --out results/device.json")
    .action((o: { device: string; generator: string; batches: number[]; reps: number; json?: boolean; out?: string }) => {
      const result = runDeviceBench(o);
      if (o.out) writeResult(o.out, { device_bench: result });
      process.stdout.write(JSON.stringify(result, null, o.json ? undefined : 2) + "\n");
    });
}
