// `imagecot geneval stats|suite`: GenEval prompt files, read and made by GenEval's own procedure.
import { readFileSync } from "node:fs";
import { Command, InvalidArgumentError } from "commander";
import { InputError } from "../util/errors.js";
import { metadataStats, readMetadataFile, writeMetadataFile } from "../geneval/metadata.js";
import { generateSuite } from "../geneval/suite.js";
import { TAGS } from "../geneval/types.js";
import { UserError } from "./run.js";

/** Runs `fn`, turning the GenEval module's input errors into user-facing ones (no stack, exit 1). */
export function userInput<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof InputError) throw new UserError(e.message);
    throw e;
  }
}

function nonNegativeInt(what: string, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || n > max) throw new InvalidArgumentError(`${what} must be an integer in [0, ${max}]`);
    return n;
  };
}

/** Class names, one per line (GenEval's object_names.txt), blank lines skipped. */
function readClassesFile(path: string): string[] {
  try {
    return readFileSync(path, "utf8").split("\n").map((l) => l.trim()).filter((l) => l !== "");
  } catch (e) {
    throw new UserError(`cannot read ${path}: ${(e as Error).message}`, 1);
  }
}

export function registerGeneval(program: Command): void {
  const geneval = program.command("geneval").description("GenEval prompt files: statistics and suite generation");

  geneval
    .command("stats")
    .description("count the prompts of a GenEval metadata JSONL, per tag (validating every line)")
    .argument("<file>", "metadata JSONL, e.g. suites/geneval/evaluation_metadata.jsonl")
    .option("--json", "print one JSON object")
    .addHelpText("after", "\nExit codes: 0 valid, 1 unreadable or invalid file (the message names the line), 2 bad arguments.\n\nExample:\n  imagecot geneval stats suites/geneval-shapes.jsonl --json")
    .action((file: string, opts: { json?: boolean }) => {
      const stats = metadataStats(userInput(() => readMetadataFile(file)));
      if (opts.json) {
        process.stdout.write(JSON.stringify(stats) + "\n");
        return;
      }
      for (const tag of TAGS) process.stdout.write(`${tag.padEnd(16)} ${String(stats.by_tag[tag]).padStart(5)}\n`);
      process.stdout.write(`${"total".padEnd(16)} ${String(stats.total).padStart(5)}\n`);
    });

  geneval
    .command("suite")
    .description("generate a prompt suite by GenEval's procedure (create_prompts.py) over any classes")
    .option("--classes <list>", "comma-separated class names, e.g. circle,square,triangle")
    .option("--classes-file <file>", "class names one per line, e.g. suites/geneval/object_names.txt")
    .requiredOption("--seed <n>", "random seed", nonNegativeInt("seed", 2 ** 32 - 1))
    .option("-n, --num-prompts <n>", "prompts drawn per tag besides single_object, before de-duplication", nonNegativeInt("--num-prompts"), 100)
    .requiredOption("--out <file>", "metadata JSONL to write")
    .option("--json", "print what was written as one JSON object")
    .addHelpText(
      "after",
      "\nExit codes: 0 written, 1 unreadable classes file or invalid class names, 2 bad arguments.\n\nExample:\n  imagecot geneval suite --classes circle,square,triangle,star,cross,ring,heart,diamond --seed 1 --out suites/geneval-shapes.jsonl",
    )
    .action((opts: { classes?: string; classesFile?: string; seed: number; numPrompts: number; out: string; json?: boolean }) => {
      if ((opts.classes === undefined) === (opts.classesFile === undefined)) throw new UserError("give exactly one of --classes or --classes-file");
      const classes = opts.classes !== undefined ? opts.classes.split(",").map((c) => c.trim()) : readClassesFile(opts.classesFile as string);
      const suite = userInput(() => generateSuite(classes, { seed: opts.seed, perTag: opts.numPrompts }));
      writeMetadataFile(opts.out, suite);
      process.stdout.write(opts.json ? JSON.stringify({ out: opts.out, prompts: suite.length, by_tag: metadataStats(suite).by_tag }) + "\n" : `wrote ${suite.length} prompts to ${opts.out}\n`);
    });
}
