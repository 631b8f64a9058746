// What a finished training run leaves in results/: how it was made and how it went.
import { writeResult } from "../util/provenance.js";
import type { Module } from "../torch/index.js";
import { readTrainLog } from "./log.js";

/** Writes the run's figures with provenance; wall time is summed from the log (across resumes). */
export function writeTrainingSummary(path: string, logPath: string, model: Module, config: object, settings: object, command?: string): void {
  const log = readTrainLog(logPath);
  let wall = 0;
  log.forEach((e, i) => (wall += e.sec_per_step * (e.step - (i > 0 ? log[i - 1].step : 0))));
  const last = log[log.length - 1];
  const shares = log.filter((e) => e.model_share !== undefined);
  // step-weighted mean, when the loop records how much of a step the model itself took
  const modelShare = shares.length > 0 ? shares.reduce((a, e) => a + e.model_share * e.sec_per_step, 0) / shares.reduce((a, e) => a + e.sec_per_step, 0) : undefined;
  writeResult(
    path,
    {
      training: {
        steps: last?.step ?? 0,
        wall_seconds: Math.round(wall),
        parameters: model.numParameters(),
        final: last,
        ...(modelShare !== undefined ? { model_share: modelShare } : {}),
        config,
        settings,
      },
    },
    command,
  );
}
