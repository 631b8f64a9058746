// A training log's lines over a step range, with their provenance: the record of something seen
// in a run's log (runs/ is not in git), e.g. its memory over a stretch of steps.
// Usage: node scripts/log-extract.mjs LOG FROM TO OUT "what the lines show"
import { readTrainLog } from "../dist/src/train/log.js";
import { writeResult } from "../dist/src/util/provenance.js";

const [log, from, to, out, about] = process.argv.slice(2);
if (!about) throw new Error("usage: node scripts/log-extract.mjs LOG FROM TO OUT \"what the lines show\"");
const lines = readTrainLog(log).filter((e) => e.step >= Number(from) && e.step <= Number(to));
writeResult(out, { log_extract: { log, from: Number(from), to: Number(to), about, lines } }, `node scripts/log-extract.mjs ${log} ${from} ${to} ${out} "${about}"`);
