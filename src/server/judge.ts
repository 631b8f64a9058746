// POST /v1/judge: ask a judge one yes/no question about a PNG image (or, with reflect, whether
// it matches the prompt and what is wrong). Goes through the job queue like a generation.
import type { FastifyInstance } from "fastify";
import { QUESTIONS, type Question } from "../judges/judge.js";
import { decodePng, type RGBImage } from "../shapes/image.js";
import { type ServerContext, httpError, refuseWhenFull, requestSignal, resolveJudge } from "./context.js";

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

function readImage(base64: string): RGBImage {
  try {
    return decodePng(Buffer.from(base64, "base64"));
  } catch (e) {
    throw httpError(400, `body.image is not a base64 PNG (${(e as Error).message})`);
  }
}

export function registerJudge(app: FastifyInstance, ctx: ServerContext): void {
  app.post<{ Body: JudgeBody }>("/v1/judge", { schema: { body: bodySchema(ctx) } }, async (request, reply) => {
    const b = request.body;
    const image = readImage(b.image);
    const chosen = resolveJudge(ctx, b.judge);
    if (!chosen) throw httpError(400, "no judge is available on this server");
    const { judge, name } = chosen;
    const reflect = judge.reflect?.bind(judge);
    if (b.reflect && !reflect) throw httpError(400, `the ${name} judge cannot reflect`);
    if (b.reflect && b.question !== "outcome") throw httpError(400, "reflect asks the outcome question; drop question or set it to outcome");
    refuseWhenFull(ctx, reply);
    return ctx.queue.run(async () => {
      if (reflect && b.reflect) return { judge: name, ...(await reflect(b.prompt, image)) };
      const [v] = await judge.judge([{ question: b.question, prompt: b.prompt, image, step: b.step, steps: b.steps }]);
      return { judge: name, pYes: v.pYes };
    }, requestSignal(ctx, reply));
  });
}
