// `imagecot judge`: ask a judge one yes/no question about an image and print P("yes").
import { existsSync } from "node:fs";
import { Command, Option } from "commander";
import { QUESTIONS, type Judge, type Question } from "../judges/judge.js";
import { JudgeError } from "../judges/openai.js";
import { JUDGES, type JudgeSelection, UnknownJudgeError, isEmbeddedJudge, makeJudge } from "../judges/registry.js";
import { readPng, type RGBImage } from "../shapes/image.js";
import { intOption } from "./options.js";
import { UserError } from "./run.js";

export interface JudgeCommandOptions {
  prompt: string;
  /** one of QUESTIONS; checked here so that a wrong one gets the list of valid ones */
  question: string;
  reflect?: boolean;
  step?: number;
  steps?: number; // with step: the decoding steps in all (default 18)
  /** a name in JUDGES */
  judge: string;
  baseUrl?: string;
  model?: string;
  apiKey?: string;
  json?: boolean;
}

export interface JudgeResult {
  pYes: number;
  /** only with --reflect: what is wrong, or null */
  reason?: string | null;
}

/**
 * The selected judge for a command: an unknown name or bad server settings exit 2, a missing
 * embedded weights file exits 1 (a failure of the installation, not of usage).
 */
export function cliJudge(o: JudgeSelection, env: NodeJS.ProcessEnv = process.env): Judge {
  try {
    return makeJudge(o, env);
  } catch (e) {
    if (e instanceof UnknownJudgeError || e instanceof JudgeError) throw new UserError(e.message);
    if (isEmbeddedJudge(o.judge)) throw new UserError((e as Error).message, 1);
    throw e;
  }
}

function readImage(path: string): RGBImage {
  if (!existsSync(path)) throw new UserError(`image not found: ${path}`);
  try {
    return readPng(path);
  } catch (e) {
    throw new UserError(`cannot read '${path}' as PNG: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Checks the input, asks the judge, and returns P("yes") (and the reason, with --reflect). */
export async function judgeImage(imagePath: string, o: JudgeCommandOptions, env: NodeJS.ProcessEnv = process.env): Promise<JudgeResult> {
  if (!(QUESTIONS as readonly string[]).includes(o.question)) {
    throw new UserError(`unknown question '${o.question}': valid questions are ${QUESTIONS.join(", ")}`);
  }
  const question = o.question as Question;
  if (o.reflect && question !== "outcome") throw new UserError("--reflect asks the outcome question; drop --question or set it to outcome");
  if (o.prompt.trim() === "") throw new UserError("--prompt is empty");
  const stepped = question === "process" || question === "clarity" || question === "potential";
  if (o.step !== undefined && !stepped) throw new UserError(`--step is for intermediate images (process, clarity, potential), not '${question}'`);
  const steps = o.steps ?? 18;
  if (o.step !== undefined && o.step >= steps) throw new UserError(`--step ${o.step} is past the last step (--steps ${steps} counts from 0 to ${steps - 1})`);
  const image = readImage(imagePath);
  const judge = cliJudge(o, env);
  try {
    if (o.reflect) {
      if (!judge.reflect) throw new UserError(`the ${judge.name} judge cannot reflect`);
      return await judge.reflect(o.prompt, image);
    }
    const [verdict] = await judge.judge([{ question, prompt: o.prompt, image, ...(o.step !== undefined ? { step: o.step, steps } : {}) }]);
    return { pYes: verdict.pYes };
  } catch (e) {
    if (e instanceof JudgeError) throw new UserError(e.message, 1);
    throw e;
  }
}

/** One JSON line for machines, else `pYes 0.8123` and, with a reflection, the reason. */
export function formatJudgeResult(result: JudgeResult, json: boolean): string {
  if (json) return JSON.stringify(result) + "\n";
  const lines = [`pYes ${result.pYes.toFixed(4)}`];
  if (result.reason !== undefined) lines.push(`reason ${result.reason ?? "(none: the judge found the image correct)"}`);
  return lines.join("\n") + "\n";
}

export function registerJudge(program: Command): void {
  program
    .command("judge")
    .description('ask a judge a yes/no question about an image; prints P("yes")')
    .argument("<image>", "PNG image to judge")
    .requiredOption("--prompt <text>", "the prompt the image was generated from")
    .addOption(new Option("--question <q>", `question to ask: ${QUESTIONS.join(", ")}`).default("outcome"))
    .option("--reflect", "also ask what is wrong when the answer is no (PARM++ reflection; outcome question)")
    .addOption(new Option("--step <t>", "process, clarity, potential: the step just done (0-based) whose image this is").argParser(intOption))
    .addOption(new Option("--steps <T>", "with --step: the decoding steps in all").default(18).argParser(intOption))
    .addOption(new Option("--judge <name>", `judge: ${Object.keys(JUDGES).join(", ")}`).default("fine-tuned"))
    .option("--base-url <url>", "OpenAI-compatible API root, e.g. http://127.0.0.1:8000/v1 (else IMAGECOT_JUDGE_BASE_URL or OPENAI_BASE_URL)")
    .option("--model <name>", "model name on that server (else IMAGECOT_JUDGE_MODEL)")
    .option("--api-key <key>", "API key (else IMAGECOT_JUDGE_API_KEY or OPENAI_API_KEY; local servers need none)")
    .option("--json", "print one JSON object")
    .addHelpText(
      "after",
      '\nExample:\n  IMAGECOT_JUDGE_BASE_URL=http://127.0.0.1:8000/v1 IMAGECOT_JUDGE_MODEL=llava-hf/llava-onevision-qwen2-7b-ov-hf \\\n    imagecot judge out.png --prompt "a photo of two circles" --reflect',
    )
    .action(async (image: string, o: JudgeCommandOptions) => {
      process.stdout.write(formatJudgeResult(await judgeImage(image, o), o.json ?? false));
    });
}
