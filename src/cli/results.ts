// `imagecot results table`: the README's table from evaluation files, paired with the baseline;
// `results corrections`: what PARM++'s reflection did in an evaluated folder.
import { Command } from "commander";
import { correctionCounts, readImageRounds } from "../eval/corrections.js";
import { type EvalFile, readEvalFile, resultsTable, rowLabel, versusBaseline } from "../eval/table.js";
import { provenance, writeResult } from "../util/provenance.js";
import { writeFileAtomic } from "../util/atomic.js";
import { UserError } from "./run.js";

/** The table's rows for machines: each run's figures and its paired comparison with its baseline (null for a baseline). */
export function resultsRows(bases: readonly EvalFile[], runs: readonly EvalFile[], files: readonly string[]) {
  return [...bases, ...runs].map((f, i) => ({
    file: files[i],
    run: rowLabel(f.settings),
    overall: f.overall,
    by_tag: f.by_tag,
    nfe_per_image: f.nfe_per_image,
    judge_calls_per_image: f.judge_calls_per_image,
    images_by_precision: f.images_by_precision ?? null, // null: a file made before it was kept
    vs_baseline: versusBaseline(bases, f),
  }));
}

export function registerResults(program: Command): void {
  const results = program.command("results").description("summarise evaluation results");
  results
    .command("table")
    .description("markdown table of runs against the baseline: per-tag accuracy, overall, error removed with a paired 95% CI, NFE and judge calls")
    .argument("<files...>", "evaluation JSON files (from eval --suite --out)")
    .requiredOption("--baseline <file>", "a baseline's evaluation JSON (strategy none, same suite and seeds); repeat it for baselines with other images per prompt: each run is paired with the one sharing most of its images", (f: string, all: string[]) => [...all, f], [] as string[])
    .option("--out <file>", "also write the table here")
    .option("--json", "print the rows as one JSON object instead of the table ({command, git_commit, date, machine, rows: [{file, run, overall, by_tag, ..., vs_baseline}]})")
    .option("--json-out <file>", "also write that JSON object here")
    .addHelpText(
      "after",
      "\nExit codes: 0 printed, 2 unreadable or incomparable files (the message says which).\n\nExample:\n  imagecot results table --baseline results/baseline.json results/orm-fine-tuned.json results/parm.json\n  imagecot results table --baseline results/baseline-k4.json results/prm-zero-shot-k4.json --out results/rows.md --json-out results/rows.json\n  imagecot results table --baseline results/baseline.json --baseline results/baseline-k4.json results/dpo.json results/parm-dpo-iter-k4.json",
    )
    .action((files: string[], o: { baseline: string[]; out?: string; json?: boolean; jsonOut?: string }) => {
      const others = files.filter((f) => !o.baseline.includes(f));
      let table: string;
      let json: string | null = null;
      const made = provenance();
      try {
        const bases = o.baseline.map(readEvalFile);
        const runs = others.map(readEvalFile);
        table = resultsTable(bases, runs);
        // the provenance every results file carries: a field of the JSON, a comment of the markdown
        if (o.json || o.jsonOut) json = JSON.stringify({ ...made, rows: resultsRows(bases, runs, [...o.baseline, ...others]) }) + "\n";
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      if (o.out) writeFileAtomic(o.out, `<!-- ${JSON.stringify(made)} -->\n${table}`);
      if (o.jsonOut) writeFileAtomic(o.jsonOut, json!);
      process.stdout.write(o.json ? json! : table);
    });

  results
    .command("corrections")
    .description("what PARM++'s reflection did in an evaluated folder: per tag, the images the judge said no to (corrected), those that then ended right, and the wrong ones it said yes to")
    .argument("<dir>", "a folder of 'eval --suite --strategy parm++' (its --gen-dir), scored")
    .option("--out <file>", "also write the counts with their provenance")
    .addHelpText("after", "\nExit codes: 0 printed, 2 a folder without results.jsonl or PARM++ traces.\n\nExample:\n  imagecot results corrections runs/rows/parm-plus-plus --out results/corrections-parm-plus-plus.json")
    .action((dir: string, o: { out?: string }) => {
      let counts;
      try {
        counts = correctionCounts(readImageRounds(dir));
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      if (o.out) writeResult(o.out, { corrections: { dir, ...counts } });
      process.stdout.write(JSON.stringify(counts, null, 2) + "\n");
    });
}
