// The HTTP step protocol's messages (docs/step-protocol.md): JSON bodies of the routes under
// /v1/steps, shared by the client (./http-step-generator.ts) and the server (src/server/steps.ts,
// whose JSON schemas are the OpenAPI spec's). Images travel as base64 PNG, tokens as arrays.

export const STEP_PROTOCOL = "imagecot-steps/1";
export const STEPS_ROOT = "/v1/steps";

/** What a prediction or final image is sent as: the PNG (always available), the tokens (where the generator has them). */
export type Include = "png" | "tokens";

/** GET /v1/steps */
export interface StepServerInfo {
  protocol: string;
  /** what generates: "embedded", a model name, or the URL of a generator further on */
  generator: string;
  /** whether predictions and finals can come as tokens */
  tokens: boolean;
  /** live paths a session may hold */
  maxPaths: number;
  /** open sessions at once; one more is refused with 429 */
  maxSessions: number;
  /** a session unused this long is closed */
  sessionIdleSeconds: number;
  /** the decoding steps a session gets when it names none */
  steps: number;
}

/** POST /v1/steps/sessions */
export interface OpenBody {
  prompt: string;
  steps?: number;
  cfg?: number;
  temperature?: number;
  confidenceTemperature?: number;
  /** nats off a drawn flat-background token's confidence, for a generator whose tokenizer has one (the embedded one's last code); others ignore it */
  flatPenalty?: number;
  /** self-correction: the previous attempt is a snapshot of a finished path in a session still open */
  correction?: { reason: string; previous: SnapshotName };
}

export interface SnapshotName {
  session: string;
  snapshot: string;
}

export interface OpenAnswer {
  session: string;
  steps: number;
}

/** POST .../paths: without `from`, fresh paths (seed required); from a snapshot, a branch with a seed or a resume without. */
export interface PathsBody {
  paths: { id: number; seed?: number }[];
  from?: string;
}

/** The live paths' ids, in the order they were added. */
export interface LiveAnswer {
  live: number[];
}

/** POST .../step */
export interface StepBody {
  /** send each stepped path's prediction inline (default: none; ask .../predictions for the ones needed) */
  include?: Include[];
}

export interface WireImage {
  path: number;
  png?: string;
  tokens?: number[];
}

export interface StepAnswer {
  results: ({ path: number; step: number; masked: number } & Omit<WireImage, "path">)[];
  nfe: number;
}

/** POST .../predictions and .../finals */
export interface ImagesBody {
  ids: number[];
  include?: Include[];
}

export interface PredictionsAnswer {
  predictions: (WireImage & { step: number })[];
}

export interface FinalsAnswer {
  finals: WireImage[];
}

/** POST .../truncate */
export interface TruncateBody {
  ids: number[];
}

/** POST .../snapshots */
export interface SnapshotBody {
  id: number;
}

export interface SnapshotAnswer {
  snapshot: string;
  path: number;
  step: number;
}

/** DELETE .../sessions/{session} */
export interface CloseAnswer {
  session: string;
  nfe: number;
}
