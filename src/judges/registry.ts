// The judges by name: the embedded ones and the OpenAI-compatible one, each built from a
// selection (name, and for a server its URL, model and key, else the environment's).
import { EMBEDDED_JUDGES, type EmbeddedJudgeName, loadEmbeddedJudge } from "./embedded.js";
import type { Judge } from "./judge.js";
import { OpenAIJudge, openAIJudgeConfigFromEnv } from "./openai.js";

/** What selects and configures a judge. */
export interface JudgeSelection {
  judge: string; // a name in JUDGES
  baseUrl?: string;
  model?: string;
  apiKey?: string;
}

type JudgeFactory = (o: JudgeSelection, env: NodeJS.ProcessEnv) => Judge;

/** Every judge a name can select. */
export const JUDGES: Readonly<Record<string, JudgeFactory>> = Object.freeze({
  "zero-shot": () => loadEmbeddedJudge("zero-shot"),
  "fine-tuned": () => loadEmbeddedJudge("fine-tuned"),
  openai: (o, env) => new OpenAIJudge(openAIJudgeConfigFromEnv(o, env)),
});

/** A name no judge has. */
export class UnknownJudgeError extends Error {
  constructor(name: string) {
    super(`unknown judge '${name}': valid judges are ${Object.keys(JUDGES).join(", ")}`);
  }
}

/** Whether the judge's weights ship with the package (a load failure is then the installation's, not the user's). */
export function isEmbeddedJudge(name: string): name is EmbeddedJudgeName {
  return Object.hasOwn(EMBEDDED_JUDGES, name);
}

/** Builds the selected judge; throws UnknownJudgeError, JudgeError (bad server settings) or the loader's error. */
export function makeJudge(o: JudgeSelection, env: NodeJS.ProcessEnv = process.env): Judge {
  if (!Object.hasOwn(JUDGES, o.judge)) throw new UnknownJudgeError(o.judge);
  return JUDGES[o.judge](o, env);
}
