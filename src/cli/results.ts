// `imagecot results table`: the README's table from evaluation files, paired with the baseline.
import { Command } from "commander";
import { readEvalFile, resultsTable } from "../eval/table.js";
import { writeFileAtomic } from "../util/atomic.js";
import { UserError } from "./run.js";

export function registerResults(program: Command): void {
  program
    .command("results")
    .description("summarise evaluation results")
    .command("table")
    .description("markdown table of runs against the baseline: per-tag accuracy, overall, error removed with a paired 95% CI, NFE and judge calls")
    .argument("<files...>", "evaluation JSON files (from eval --suite --out)")
    .requiredOption("--baseline <file>", "the baseline's evaluation JSON (strategy none, same suite and seeds)")
    .option("--out <file>", "also write the table here")
    .addHelpText("after", "\nExample:\n  imagecot results table --baseline results/baseline.json results/orm-fine-tuned.json results/parm.json")
    .action((files: string[], o: { baseline: string; out?: string }) => {
      let table: string;
      try {
        table = resultsTable(readEvalFile(o.baseline), files.filter((f) => f !== o.baseline).map(readEvalFile));
      } catch (e) {
        throw new UserError((e as Error).message);
      }
      if (o.out) writeFileAtomic(o.out, table);
      process.stdout.write(table);
    });
}
