// `imagecot bench reasons`: the reflecting judge's reasons against the detector's, on the failing
// finals of collected prompts the judges never trained on (the collection's held-out tenth).
import { Command, Option } from "commander";
import { decodeTokens } from "../generator/pipeline.js";
import type { PromptMeta } from "../geneval/types.js";
import { readCollected, splitCollected } from "../judges/collect.js";
import { EmbeddedJudge } from "../judges/embedded.js";
import { reasonAgreement } from "../judges/reasons.js";
import { loadVQ } from "../models/load.js";
import { DEFAULT_TOKENIZER } from "../models/paths.js";
import type { RGBImage } from "../shapes/image.js";
import { writeResult } from "../util/provenance.js";
import { judgeId } from "../judges/judge.js";
import { cliJudge } from "./judge.js";
import { folderListOption, intOption } from "./options.js";
import { UserError } from "./run.js";

export function addReasonsBench(bench: Command): void {
  bench
    .command("reasons")
    .description("how often the reflecting judge's reason for a failing final is the detector's, on held-out collected prompts")
    .addOption(new Option("--data <dirs>", "comma-separated folders from 'imagecot data paths'").makeOptionMandatory().argParser(folderListOption))
    .option("--judge <name>", "reflecting judge", "fine-tuned")
    .option("--tokenizer <file>", "VQ tokenizer weights (decodes the paths' tokens)", DEFAULT_TOKENIZER)
    .addOption(new Option("--max <n>", "failing finals at most").default(2000).argParser(intOption))
    .option("--json", "print the figures as one JSON line")
    .option("--out <file>", "also write them with their provenance (e.g. results/reasons.json)")
    .addHelpText("after", "\nExit codes: 0 measured, 1 failure, 2 bad arguments.\n\nExample:\n  imagecot bench reasons --data runs/paths-v2 --judge fine-tuned --out results/reasons.json")
    .action(async (o: { data: string[]; judge: string; tokenizer: string; max: number; json?: boolean; out?: string }) => {
      const { heldOut } = splitCollected(readCollected(o.data));
      const failing = heldOut.flatMap((p) => p.paths.filter((q) => !q.correct).map((q) => ({ meta: p.meta, path: q }))).slice(0, o.max);
      if (failing.length === 0) throw new UserError(`no failing finals among the held-out prompts of ${o.data.join(",")}`);
      const vq = loadVQ(o.tokenizer);
      const images = decodeTokens(vq, failing.map((f) => Int32Array.from(f.path.predictions.at(-1)!)));
      const judge = cliJudge({ judge: o.judge });
      if (!judge.reflect) throw new UserError(`judge '${o.judge}' does not reflect: it gives no reasons to compare`);
      // an embedded judge's own readings too: how much of a disagreement is its counting
      const read = judge instanceof EmbeddedJudge ? (items: readonly { meta: PromptMeta; image: RGBImage }[]) => judge.read(items) : undefined;
      const result = await reasonAgreement(judge, failing.map((f, k) => ({ meta: f.meta, image: images[k], detections: f.path.detections })), { read });
      if (o.out) writeResult(o.out, { reasons: { data: o.data.join(","), judge: o.judge, judge_id: judgeId(judge), ...result } });
      process.stdout.write(JSON.stringify(result, null, o.json ? undefined : 2) + "\n");
    });
}
