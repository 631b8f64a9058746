// The step protocol's sessions where the models are (the compute worker, or a LocalExecutor):
// each session of the protocol is a StepSession of the server's generator, with its snapshots
// (named refs) and each path's latest step, so predictions are decoded only when asked for.
// The request thread's registry (./step-sessions.ts) owns ids, limits and idle time; here a
// session is only ever touched by one call at a time.
import type { SampleOptions } from "../generator/sampler.js";
import type { PathRef, PathStep, StepGenerator, StepSession } from "../generator/step-generator.js";
import type {
  CloseAnswer,
  FinalsAnswer,
  ImagesBody,
  Include,
  LiveAnswer,
  OpenAnswer,
  PathsBody,
  PredictionsAnswer,
  SnapshotAnswer,
  SnapshotBody,
  SnapshotName,
  StepAnswer,
  StepBody,
  TruncateBody,
  WireImage,
} from "../generator/step-protocol.js";
import { encodePng, type RGBImage } from "../shapes/image.js";
import { InputError } from "../util/errors.js";
import { httpError } from "./http-error.js";

/** One protocol call, as the request thread hands it over (bodies already checked against their schemas). */
export type StepCall =
  | { op: "open"; session: string; prompt: string; sample: SampleOptions; correction?: { reason: string; previous: SnapshotName }; maxPaths: number }
  | { op: "paths"; session: string; body: PathsBody }
  | { op: "step"; session: string; body: StepBody }
  | { op: "predictions" | "finals"; session: string; body: ImagesBody }
  | { op: "truncate"; session: string; body: TruncateBody }
  | { op: "snapshot"; session: string; body: SnapshotBody }
  | { op: "close"; session: string };

interface Hosted {
  session: StepSession;
  maxPaths: number;
  snapshots: Map<string, PathRef>;
  /** each live path's latest step, whose prediction can still be asked for */
  latest: Map<number, PathStep>;
}

export class StepHost {
  private readonly hosted = new Map<string, Hosted>();

  constructor(private readonly generator: StepGenerator) {}

  async run(call: StepCall): Promise<unknown> {
    if (call.op === "open") return this.open(call);
    const h = this.hosted.get(call.session);
    if (!h) throw httpError(404, `no step session '${call.session}' (closed, or idle too long)`);
    switch (call.op) {
      case "paths":
        return this.paths(h, call.body);
      case "step":
        return this.step(h, call.body);
      case "predictions":
        return this.predictions(h, call.body);
      case "finals":
        return this.finals(h, call.body);
      case "truncate":
        await h.session.truncate(call.body.ids);
        for (const id of call.body.ids) h.latest.delete(id);
        return this.live(h);
      case "snapshot":
        return this.snapshot(h, call.body);
      case "close":
        this.hosted.delete(call.session);
        await h.session.close();
        return { session: call.session, nfe: h.session.nfe } satisfies CloseAnswer;
    }
  }

  /** Closes every session (the server is going). */
  async closeAll(): Promise<void> {
    const all = [...this.hosted.values()];
    this.hosted.clear();
    await Promise.allSettled(all.map((h) => h.session.close()));
  }

  private async open(call: Extract<StepCall, { op: "open" }>): Promise<OpenAnswer> {
    const c = call.correction;
    const correction = c && { reason: c.reason, previous: this.snapshotRef(c.previous) };
    const session = await this.generator.open(call.prompt, { sample: call.sample, correction });
    this.hosted.set(call.session, { session, maxPaths: call.maxPaths, snapshots: new Map(), latest: new Map() });
    return { session: call.session, steps: session.steps };
  }

  private snapshotRef(name: SnapshotName): PathRef {
    const ref = this.hosted.get(name.session)?.snapshots.get(name.snapshot);
    if (!ref) throw new InputError(`body.correction.previous: no snapshot '${name.snapshot}' in an open session '${name.session}'`);
    return ref;
  }

  private async paths(h: Hosted, body: PathsBody): Promise<LiveAnswer> {
    const after = h.session.live().length + body.paths.length;
    if (after > h.maxPaths) throw new InputError(`a session holds at most ${h.maxPaths} live paths; this would make ${after}`);
    // checked before any path is added, so a refused body changes nothing
    const ids = body.paths.map((p) => p.id);
    const live = new Set(h.session.live());
    const twice = ids.find((id, k) => ids.indexOf(id) !== k);
    if (twice !== undefined) throw new InputError(`body.paths: path ${twice} is given twice`);
    const already = ids.find((id) => live.has(id));
    if (already !== undefined) throw new InputError(`body.paths: path ${already} is live already`);
    const seeded = body.paths.filter((p) => p.seed !== undefined).length;
    if (body.from === undefined) {
      if (seeded < body.paths.length) throw new InputError("body.paths: a fresh path needs a seed (or give body.from to resume a snapshot)");
      await h.session.start(body.paths.map((p) => ({ id: p.id, seed: p.seed! })));
    } else {
      const ref = h.snapshots.get(body.from);
      if (!ref) throw new InputError(`body.from: no snapshot '${body.from}' in this session`);
      if (seeded === body.paths.length) await h.session.branch(ref, body.paths.map((p) => ({ id: p.id, seed: p.seed! })));
      else if (seeded === 0) for (const p of body.paths) await h.session.resume(ref, p.id);
      else throw new InputError("body.paths: from a snapshot, give every path a seed (branches) or none (resumes)");
    }
    for (const p of body.paths) h.latest.delete(p.id);
    return this.live(h);
  }

  private async step(h: Hosted, body: StepBody): Promise<StepAnswer> {
    const results = await h.session.step();
    for (const r of results) h.latest.set(r.path, r);
    const inline = body.include?.length ? await this.wire(h, results, body.include) : null;
    return { results: results.map((r, k) => ({ path: r.path, step: r.step, masked: r.masked, ...(inline ? stripPath(inline[k]) : {}) })), nfe: h.session.nfe };
  }

  private async predictions(h: Hosted, body: ImagesBody): Promise<PredictionsAnswer> {
    const steps = body.ids.map((id) => {
      const s = h.latest.get(id);
      if (!s) throw new InputError(`path ${id} has no prediction: it is not live, or has not stepped since it was added`);
      return s;
    });
    const wired = await this.wire(h, steps, body.include ?? ["png"]);
    return { predictions: wired.map((w, k) => ({ ...w, step: steps[k].step })) };
  }

  private async finals(h: Hosted, body: ImagesBody): Promise<FinalsAnswer> {
    const include = body.include ?? ["png"];
    const finals = await h.session.finals(body.ids);
    return {
      finals: finals.map((f) => ({
        path: f.path,
        ...(include.includes("png") ? { png: png(f.image) } : {}),
        ...(include.includes("tokens") ? { tokens: tokensOf(f.tokens, f.path) } : {}),
      })),
    };
  }

  private async snapshot(h: Hosted, body: SnapshotBody): Promise<SnapshotAnswer> {
    const ref = await h.session.save(body.id);
    const name = `snap-${h.snapshots.size + 1}`;
    h.snapshots.set(name, ref);
    return { snapshot: name, path: ref.path, step: ref.step };
  }

  /** Predictions as the client asked for them: PNGs decoded in one batch, tokens as they are. */
  private async wire(h: Hosted, steps: readonly PathStep[], include: readonly Include[]): Promise<WireImage[]> {
    const images = include.includes("png") ? await h.session.images(steps) : null;
    return steps.map((s, k) => ({
      path: s.path,
      ...(images ? { png: png(images[k]) } : {}),
      ...(include.includes("tokens") ? { tokens: tokensOf(s.prediction, s.path) } : {}),
    }));
  }

  private live(h: Hosted): LiveAnswer {
    return { live: h.session.live() };
  }
}

function png(image: RGBImage): string {
  return encodePng(image).toString("base64");
}

function tokensOf(tokens: Int32Array | undefined, path: number): number[] {
  if (!tokens) throw new InputError(`this server's generator sends no tokens (path ${path}): ask for include ["png"]`);
  return Array.from(tokens);
}

function stripPath({ path: _, ...rest }: WireImage): Omit<WireImage, "path"> {
  return rest;
}
