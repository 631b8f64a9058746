// DPO's hyper-parameters on held-out prompts, on tiny models: one run per grid point from the
// same start, each scored on the held-out split, resumed without retraining.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { readPairs } from "../../src/align/pairs.js";
import { PAIRS_FILE, rankData } from "../../src/align/rank.js";
import { dpoValidation } from "../../src/eval/dpo-val.js";
import { readTrainLog } from "../../src/train/log.js";
import { loadPipeline } from "../../src/models/load.js";
import { loadSafetensors, dispose } from "../../src/torch/index.js";
import { TINY_SAMPLE, saveTiny, tinyRankOptions } from "../align/tiny.js";

const meta = (file: string) => {
  const { tensors, metadata } = loadSafetensors(file);
  dispose([...tensors.values()]);
  return metadata;
};

test("dpo-val: every grid point trained from the start and scored on held-out prompts; a rerun reuses the weights and scores", async () => {
  const dir = mkdtempSync(join(tmpdir(), "imagecot-dpo-val-"));
  const tiny = saveTiny(dir);
  const data = join(dir, "data");
  await rankData(loadPipeline(tiny.generator, tiny.tokenizer), tinyRankOptions(data, { generator: tiny.generator }));
  const pairs = readPairs(join(data, PAIRS_FILE));
  assert.ok(pairs.length > 0);
  const o = {
    runDir: join(dir, "val"),
    generator: tiny.generator,
    tokenizer: tiny.tokenizer,
    pairs,
    weighted: false,
    trajectory: false,
    grid: { lr: [1e-3, 1e-2], epochs: [1], beta: [0.1, 0.5], nllWeight: [0], cfg: [0], uncondAnchor: [0], masks: [1], minMaskRatio: [0] },
    batch: 2,
    seed: 1,
    heldout: { prompts: 3, images: 1, seed: 2, sample: TINY_SAMPLE },
  };
  const r = await dpoValidation(o);
  assert.equal(r.pairs, pairs.length);
  assert.deepEqual(r.candidates.map((c) => [c.lr, c.beta]), [[1e-3, 0.1], [1e-3, 0.5], [1e-2, 0.1], [1e-2, 0.5]]);
  for (const c of r.candidates) {
    assert.equal(c.heldout.split, "heldout");
    assert.equal(c.heldout.images, 3);
    assert.equal(c.steps, Math.ceil(pairs.length / 2));
    const log = readTrainLog(join(dirname(c.weights), "train", "log.jsonl"));
    const tail = log.slice(-Math.ceil(log.length / 10));
    assert.equal(c.trainAccuracy, tail.reduce((a, e) => a + e.accuracy, 0) / tail.length, "the last tenth of the logged steps' accuracy");
    const metadata = meta(c.weights);
    assert.equal(metadata.lr, String(c.lr));
    assert.equal(metadata.beta, String(c.beta));
  }
  // the detector finds nothing an untrained generator draws: every yes rate is 0, the first candidate wins ties
  assert.equal(r.start.yes_rate, 0);
  assert.deepEqual([r.best.lr, r.best.beta], [1e-3, 0.1]);
  const scores = [join(o.runDir, "start-heldout.json"), ...r.candidates.map((c) => join(dirname(c.weights), "heldout.json"))];
  const mtimes = (files: string[]) => files.map((f) => statSync(f).mtimeMs);
  const [weightsBefore, scoresBefore] = [mtimes(r.candidates.map((c) => c.weights)), mtimes(scores)];
  const again = await dpoValidation(o);
  assert.deepEqual(mtimes(again.candidates.map((c) => c.weights)), weightsBefore, "a rerun trains nothing again");
  assert.deepEqual(mtimes(scores), scoresBefore, "nor scores anything again");
  assert.deepEqual(again, r);
  // each candidate reads its own kept score (every real score here is 0, so edit two): one kept
  // with this run's key stands, one kept with another key is made again
  const edit = (file: string, f: (kept: { key: string; heldout: { yes_rate: number } }) => void) => {
    const kept = JSON.parse(readFileSync(file, "utf8"));
    f(kept);
    writeFileSync(file, JSON.stringify(kept));
  };
  edit(scores[2], (k) => (k.heldout.yes_rate = 0.5));
  edit(scores[3], (k) => ((k.heldout.yes_rate = 0.9), (k.key += " ")));
  const edited = await dpoValidation(o);
  assert.deepEqual([edited.best.lr, edited.best.beta, edited.best.yes_rate], [1e-3, 0.5, 0.5]);
  assert.equal(edited.candidates[2].heldout.yes_rate, 0, "a score of another key is not reused");
  edit(scores[2], (k) => (k.heldout.yes_rate = 0));
  // a kept score stands for its candidate: a folder of the scores alone (an archive) trains nothing
  rmSync(r.candidates[0].weights);
  assert.deepEqual(await dpoValidation(o), r);
  assert.equal(existsSync(r.candidates[0].weights), false);
  // other held-out settings score every model anew, on the weights already trained
  const scored = mtimes(scores);
  const o2 = { ...o, heldout: { ...o.heldout, prompts: 2 } };
  const other = await dpoValidation(o2);
  assert.ok(mtimes(other.candidates.map((c) => c.weights)).every((m, i) => (i === 0 ? m > weightsBefore[0] : m === weightsBefore[i])), "only the missing weights are trained again");
  assert.ok(mtimes(scores).every((m, i) => m > scored[i]), "every score is remade");
  assert.deepEqual([other.start.images, ...other.candidates.map((c) => c.heldout.images)], [2, 2, 2, 2, 2]);
  // the chosen images' loss and the guidance are grid dimensions: plain DPO's folder is as before, the others their own
  const more = await dpoValidation({ ...o2, grid: { lr: [1e-3], epochs: [1], beta: [0.1], nllWeight: [0, 1], cfg: [0, 1.75], uncondAnchor: [0], masks: [1], minMaskRatio: [0] } });
  assert.deepEqual(more.candidates[0], other.candidates[0], "the plain point is the one already scored");
  const folders = more.candidates.map((c) => dirname(c.weights).slice(o.runDir.length + 1));
  assert.deepEqual(folders, ["lr0.001-ep1-beta0.1", "lr0.001-ep1-beta0.1-cfg1.75", "lr0.001-ep1-beta0.1-nll1", "lr0.001-ep1-beta0.1-nll1-cfg1.75"]);
  assert.deepEqual(more.candidates.map((c) => [meta(c.weights).nll_weight, meta(c.weights).cfg]), [["0", "0"], ["0", "1.75"], ["1", "0"], ["1", "1.75"]]);
  await assert.rejects(dpoValidation({ ...o, pairs: pairs.slice(1) }), /holds DPO candidates made with other settings \(pairs: /, "other pairs never reuse the candidates' weights");
  await assert.rejects(dpoValidation({ ...o, trajectory: true }), /holds DPO candidates made with other settings \(trajectory: /, "nor do trajectory candidates");
  // the ranking kept the sampling orders: trajectory candidates train on them, in their own folder
  const traj = await dpoValidation({ ...o2, runDir: join(dir, "val-traj"), trajectory: true, grid: { ...o.grid, lr: [1e-3], beta: [0.1] } });
  assert.equal(traj.trajectory, true);
  assert.equal(meta(traj.candidates[0].weights).trajectory, "true");
  rmSync(dir, { recursive: true, force: true });
});
