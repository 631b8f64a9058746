// The HTTP step protocol (docs/step-protocol.md) under /v1/steps: sessions of paths of one
// prompt that a client starts, steps, truncates, snapshots, resumes and branches, fetching
// only the predictions it looks at. Every body is checked against its schema (400 with the
// reason); the schemas are also the OpenAPI spec, served at GET /v1/steps/openapi.json. The
// work runs where the models are (the executor), so health checks and 429s answer meanwhile.
import swagger from "@fastify/swagger";
import type { FastifyInstance } from "fastify";
import { DEFAULT_SAMPLE } from "../generator/sampler.js";
import { type ImagesBody, type OpenBody, type PathsBody, STEPS_ROOT, STEP_PROTOCOL, type SnapshotBody, type StepBody, type StepServerInfo, type TruncateBody } from "../generator/step-protocol.js";
import type { ServerContext } from "./context.js";
import type { StepCall } from "./step-host.js";

/** Decoding steps a session may ask for. */
export const MAX_STEPS = 100;

const TAGS = ["steps"];
const SESSION = "/v1/steps/sessions/:session";
const params = { type: "object", required: ["session"], properties: { session: { type: "string", minLength: 1, maxLength: 64, description: "the id POST /v1/steps/sessions answered" } } } as const;
const pathId = { type: "integer", minimum: 0, maximum: 2 ** 31 - 1, description: "a path's id within its session, stable under truncation" } as const;
const seed = { type: "integer", minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: "the seed of the path's own random stream" } as const;
const include = {
  type: "array",
  items: { type: "string", enum: ["png", "tokens"] },
  uniqueItems: true,
  description: 'what each image comes as: "png" (base64 PNG) and/or "tokens" (where the generator has tokens)',
} as const;
const wireImage = { path: { type: "integer" }, png: { type: "string", description: "base64 PNG" }, tokens: { type: "array", items: { type: "integer" } } } as const;
const live = { type: "object", properties: { live: { type: "array", items: { type: "integer" }, description: "the live paths, in the order they were added" } } } as const;
const error = { type: "object", properties: { statusCode: { type: "integer" }, error: { type: "string" }, message: { type: "string" } } } as const;
const errors = { 400: error, 404: error, 409: error, 429: error } as const;

function ids(maxN: number, description: string) {
  return { type: "array", items: pathId, uniqueItems: true, maxItems: maxN, description } as const;
}

function schemas(ctx: ServerContext) {
  const maxN = ctx.limits.maxN;
  const body = (properties: object, required: string[] = []) => ({ type: "object", additionalProperties: false, required, properties });
  return {
    info: {
      summary: "the protocol's name, the generator behind it and the limits",
      response: {
        200: {
          type: "object",
          properties: {
            protocol: { type: "string" },
            generator: { type: "string" },
            tokens: { type: "boolean" },
            maxPaths: { type: "integer" },
            maxSessions: { type: "integer" },
            sessionIdleSeconds: { type: "integer" },
            steps: { type: "integer" },
          },
        },
      },
    },
    open: {
      summary: "open a session of paths for a prompt, optionally self-correcting a previous attempt",
      body: body(
        {
          prompt: { type: "string", minLength: 1, maxLength: ctx.limits.maxPromptChars, pattern: "\\S" },
          steps: { type: "integer", minimum: 1, maximum: MAX_STEPS, description: `decoding steps T (default ${ctx.info.steps})` },
          cfg: { type: "number", minimum: 0, maximum: 100, description: `guidance scale (default ${DEFAULT_SAMPLE.cfg})` },
          temperature: { type: "number", exclusiveMinimum: 0, maximum: 100, description: `token sampling temperature (default ${DEFAULT_SAMPLE.temperature})` },
          confidenceTemperature: { type: "number", minimum: 0, maximum: 100, description: `Gumbel noise on confidences (default ${DEFAULT_SAMPLE.confidenceTemperature})` },
          flatPenalty: { type: "number", minimum: 0, maximum: 100, description: `nats off a drawn flat-background token's confidence: background fixed last (default ${DEFAULT_SAMPLE.flatPenalty ?? 0}; a generator without a flat token ignores it)` },
          correction: {
            type: "object",
            additionalProperties: false,
            required: ["reason", "previous"],
            description: "regenerate from the prompt, the previous attempt and what was wrong with it (PARM++)",
            properties: {
              reason: { type: "string", maxLength: 1000 },
              previous: {
                type: "object",
                additionalProperties: false,
                required: ["session", "snapshot"],
                description: "a snapshot of the previous attempt's finished path, in a session still open",
                properties: { session: { type: "string", minLength: 1, maxLength: 64 }, snapshot: { type: "string", minLength: 1, maxLength: 64 } },
              },
            },
          },
        },
        ["prompt"],
      ),
      response: { 201: { type: "object", properties: { session: { type: "string" }, steps: { type: "integer" } } }, ...errors },
    },
    paths: {
      summary: "add paths: fresh ones (each with a seed), or from a snapshot, branches (each with a seed) or resumes (no seed)",
      params,
      body: body(
        {
          paths: { type: "array", minItems: 1, maxItems: maxN, items: body({ id: pathId, seed }, ["id"]) },
          from: { type: "string", minLength: 1, maxLength: 64, description: "a snapshot of this session" },
        },
        ["paths"],
      ),
      response: { 200: live, ...errors },
    },
    step: {
      summary: "advance every live path with steps left by one step (all unfinished paths are at the same step)",
      params,
      body: body({ include: { ...include, description: `${include.description}; sent inline for every stepped path (default none: ask /predictions)` } }),
      response: {
        200: {
          type: "object",
          properties: {
            results: { type: "array", items: { type: "object", properties: { step: { type: "integer", description: "0-based index of the step just done" }, masked: { type: "integer" }, ...wireImage } } },
            nfe: { type: "integer", description: "generator forward passes so far, counting each CFG half" },
          },
        },
        ...errors,
      },
    },
    predictions: {
      summary: "the predictions of the paths' latest steps (decoded only now, only for the paths asked)",
      params,
      body: body({ ids: { ...ids(maxN, "live paths that have stepped"), minItems: 1 }, include }, ["ids"]),
      response: { 200: { type: "object", properties: { predictions: { type: "array", items: { type: "object", properties: { step: { type: "integer" }, ...wireImage } } } } }, ...errors },
    },
    finals: {
      summary: "the final images of finished paths",
      params,
      body: body({ ids: { ...ids(maxN, "live paths that have done every step"), minItems: 1 }, include }, ["ids"]),
      response: { 200: { type: "object", properties: { finals: { type: "array", items: { type: "object", properties: wireImage } } } }, ...errors },
    },
    truncate: {
      summary: "drop paths: their remaining steps are never computed",
      params,
      body: body({ ids: ids(maxN, "live paths") }, ["ids"]),
      response: { 200: live, ...errors },
    },
    snapshot: {
      summary: "save a live path's state (tokens, step, random stream) under a name, to resume, branch or self-correct from",
      params,
      body: body({ id: pathId }, ["id"]),
      response: { 200: { type: "object", properties: { snapshot: { type: "string" }, path: { type: "integer" }, step: { type: "integer" } } }, ...errors },
    },
    close: {
      summary: "close the session (its snapshots go with it)",
      params,
      response: { 200: { type: "object", properties: { session: { type: "string" }, nfe: { type: "integer" } } }, ...errors },
    },
  };
}

type Params = { session: string };

export function registerSteps(app: FastifyInstance, ctx: ServerContext): void {
  // a scope of its own: the spec lists the step routes only
  app.register(async (scope) => {
    await scope.register(swagger, {
      openapi: {
        info: { title: "imagecot step protocol", version: STEP_PROTOCOL, description: "Drive a step-by-step image generator: sessions of paths that start, step, truncate, snapshot, resume and branch. See docs/step-protocol.md." },
        tags: [{ name: "steps", description: "the step protocol" }],
      },
    });
    const s = schemas(ctx);
    const tagged = <T extends object>(schema: T) => ({ schema: { tags: TAGS, ...schema } });
    scope.get(`${STEPS_ROOT}/openapi.json`, { schema: { hide: true } }, async () => scope.swagger());
    scope.get(STEPS_ROOT, tagged(s.info), async (): Promise<StepServerInfo> => ({
      protocol: STEP_PROTOCOL,
      generator: ctx.info.generator,
      tokens: ctx.info.tokens,
      maxPaths: ctx.limits.maxN,
      maxSessions: ctx.limits.maxSessions,
      sessionIdleSeconds: ctx.limits.sessionIdleSeconds,
      steps: ctx.info.steps,
    }));
    scope.post<{ Body: OpenBody }>(`${STEPS_ROOT}/sessions`, tagged(s.open), async (request, reply) => {
      const b = request.body;
      if (ctx.sessions.full()) reply.header("retry-after", "1");
      const sample = {
        steps: b.steps ?? ctx.info.steps,
        cfg: b.cfg ?? DEFAULT_SAMPLE.cfg,
        temperature: b.temperature ?? DEFAULT_SAMPLE.temperature,
        confidenceTemperature: b.confidenceTemperature ?? DEFAULT_SAMPLE.confidenceTemperature,
        flatPenalty: b.flatPenalty ?? DEFAULT_SAMPLE.flatPenalty,
      };
      const answer = await ctx.sessions.create({ op: "open", prompt: b.prompt, sample, correction: b.correction, maxPaths: ctx.limits.maxN });
      return reply.code(201).send(answer);
    });
    const on = <B>(op: Exclude<StepCall["op"], "open" | "close">) => async (request: { params: Params; body: B }) =>
      ctx.sessions.call({ op, session: request.params.session, body: request.body } as Exclude<StepCall, { op: "open" }>);
    scope.post<{ Params: Params; Body: PathsBody }>(`${SESSION}/paths`, tagged(s.paths), on<PathsBody>("paths"));
    scope.post<{ Params: Params; Body: StepBody }>(`${SESSION}/step`, tagged(s.step), on<StepBody>("step"));
    scope.post<{ Params: Params; Body: ImagesBody }>(`${SESSION}/predictions`, tagged(s.predictions), on<ImagesBody>("predictions"));
    scope.post<{ Params: Params; Body: ImagesBody }>(`${SESSION}/finals`, tagged(s.finals), on<ImagesBody>("finals"));
    scope.post<{ Params: Params; Body: TruncateBody }>(`${SESSION}/truncate`, tagged(s.truncate), on<TruncateBody>("truncate"));
    scope.post<{ Params: Params; Body: SnapshotBody }>(`${SESSION}/snapshots`, tagged(s.snapshot), on<SnapshotBody>("snapshot"));
    scope.delete<{ Params: Params }>(SESSION, tagged(s.close), async (request) => ctx.sessions.call({ op: "close", session: request.params.session }));
  });
}
