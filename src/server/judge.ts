// POST /v1/judge: ask a judge one yes/no question about a PNG image (or, with reflect, whether
// it matches the prompt and what is wrong). Goes through the job queue like a generation.
import type { FastifyInstance } from "fastify";
import { QUESTIONS, type Question } from "../judges/judge.js";
import { decodePng, type RGBImage } from "../shapes/image.js";
import { type ServerContext, refuseWhenFull, requestSignal, resolveJudge } from "./context.js";
import { httpError } from "./http-error.js";

export interface JudgeBody {
  prompt: string;
  /** base64 PNG */
  image: string;
  question: Question;
  reflect?: boolean;
  judge?: string;
  step?: number;
  steps?: number;
}

/** Base64 of a PNG this many bytes at most: far above any image the shapes world makes. */
const MAX_IMAGE_BYTES = 512 * 1024;

function bodySchema(ctx: ServerContext) {
  return {
    type: "object",
    additionalProperties: false,
    required: ["prompt", "image"],
    properties: {
      prompt: { type: "string", minLength: 1, maxLength: ctx.limits.maxPromptChars, pattern: "\\S" },
      image: { type: "string", minLength: 1, maxLength: Math.ceil(MAX_IMAGE_BYTES / 3) * 4 },
      question: { type: "string", enum: QUESTIONS, default: "outcome" },
      reflect: { type: "boolean" },
      judge: ctx.judgeNames.length > 0 ? { type: "string", enum: ctx.judgeNames } : { type: "string" },
      step: { type: "integer", minimum: 0 },
      steps: { type: "integer", minimum: 1 },
    },
  } as const;
}

/** The PNG, its size checked from its header before it is decoded (a small file can declare a huge image). */
function readImage(base64: string, maxPixels: number): RGBImage {
  try {
    return decodePng(Buffer.from(base64, "base64"), maxPixels);
  } catch (e) {
    throw httpError(400, `body.image is not a usable base64 PNG (${(e as Error).message})`);
  }
}

export function registerJudge(app: FastifyInstance, ctx: ServerContext): void {
  app.post<{ Body: JudgeBody }>("/v1/judge", { schema: { body: bodySchema(ctx) } }, async (request, reply) => {
    const b = request.body;
    const image = readImage(b.image, ctx.limits.maxImagePixels);
    const chosen = resolveJudge(ctx, b.judge);
    if (!chosen) throw httpError(400, "no judge is available on this server");
    if (b.reflect && !chosen.reflects) throw httpError(400, `the ${chosen.name} judge cannot reflect`);
    if (b.reflect && b.question !== "outcome") throw httpError(400, "reflect asks the outcome question; drop question or set it to outcome");
    if (b.step !== undefined && b.steps !== undefined && b.step >= b.steps) throw httpError(400, `body.step ${b.step} is past the last step of ${b.steps}`);
    refuseWhenFull(ctx, reply);
    const signal = requestSignal(ctx, reply);
    const job = { prompt: b.prompt, image, question: b.question, reflect: b.reflect ?? false, judge: chosen.name, step: b.step, steps: b.steps };
    return ctx.queue.run(() => ctx.executor.judge(job, signal), signal);
  });
}
