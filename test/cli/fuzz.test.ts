// Property tests over what users and clients send: random bodies to the API, random arguments
// and files to the CLI. Whatever comes in: no 500, no stack trace, exit 0, 1 or 2 with one line,
// and no partial file left behind.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import { buildApp } from "../../src/server/app.js";
import { createImage, encodePng } from "../../src/shapes/image.js";
import { cli } from "../fixtures/cli.js";
import { PROMPT, ScriptedJudge, serverOptions } from "../server/fixtures.js";

const dir = mkdtempSync(join(tmpdir(), "imagecot-fuzz-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const png = encodePng(createImage(16, 16)).toString("base64");
const huge = (() => {
  const b = Buffer.from(encodePng(createImage(1, 1)));
  b.writeUInt32BE(30000, 16);
  b.writeUInt32BE(30000, 20);
  return b.toString("base64");
})();
/** Values that are often wrong in the ways people get them wrong, and sometimes right. */
const value = fc.oneof(
  fc.integer({ min: -3, max: 40 }),
  fc.constantFrom(0, 1, 2 ** 31, 2 ** 32, 9e12, -1, 0.5, Number.MAX_SAFE_INTEGER),
  fc.string({ maxLength: 12 }),
  fc.constantFrom("", " ", "NaN", "1e309", "-0", "0x10", "null"),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 2 }),
);
/** The right value three times in four, else something else. */
const often = <T>(right: T, other: fc.Arbitrary<unknown>) => fc.oneof({ weight: 3, arbitrary: fc.constant(right) }, { weight: 1, arbitrary: other });
const prompt = fc.oneof(fc.constantFrom(PROMPT, "a photo of a zebra", "", "   ", "a photo of " + "red ".repeat(20) + "circle"), fc.string({ maxLength: 40 }), value);

describe("the API under random bodies", () => {
  const app = buildApp(serverOptions(new ScriptedJudge(1)));
  after(() => app.close());

  it("POST /v1/generate and /v1/judge answer 200 or a clear 4xx, never a 500", async () => {
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(
        // each field is usually right, so that whole valid requests come up too
        fc.record(
          {
            prompt: often(PROMPT, prompt),
            strategy: often("none", fc.oneof(fc.constantFrom("parm", "best-of-n", "parm++", "beam"), value)),
            n: often(2, value),
            seed: often(1, value),
            judge: often("scripted", fc.oneof(fc.constantFrom("plain", "broken", "gpt"), value)),
          },
          { requiredKeys: [] },
        ),
        fc.record(
          {
            prompt: often(PROMPT, prompt),
            image: often(png, fc.oneof(fc.constant(huge), fc.base64String({ maxLength: 64 }), value)),
            question: often("outcome", fc.oneof(fc.constantFrom("clarity", "potential", "beauty"), value)),
            reflect: often(false, value),
            step: value,
            steps: value,
          },
          { requiredKeys: ["prompt", "image"] },
        ),
        async (gen, judge) => {
          for (const [url, payload] of [["/v1/generate", { ...gen, stream: false }], ["/v1/judge", judge]] as const) {
            const r = await app.inject({ method: "POST", url, payload });
            seen.add(r.statusCode);
            assert.ok([200, 400, 415].includes(r.statusCode), `${url} ${JSON.stringify(payload).slice(0, 200)} -> ${r.statusCode} ${r.body.slice(0, 200)}`);
            if (r.statusCode !== 200) {
              const body = r.json() as { message: string };
              assert.equal(typeof body.message, "string");
              assert.doesNotMatch(body.message, /\n\s+at /, "no stack trace");
            }
          }
        },
      ),
      { numRuns: 120, seed: 7 },
    );
    assert.ok(seen.has(200) && seen.has(400), `both answers were exercised: ${[...seen]}`);
  });

  it("the step protocol's routes answer 2xx or a clear 4xx, never a 500", async () => {
    const seen = new Set<number>();
    const ids = fc.oneof(fc.constant([0]), fc.array(value, { maxLength: 3 }), value);
    await fc.assert(
      fc.asyncProperty(
        fc.record({ prompt: often(PROMPT, prompt), steps: often(3, value), cfg: often(1.5, value), temperature: value, correction: value }, { requiredKeys: ["prompt"] }),
        fc.record({ paths: often([{ id: 0, seed: 1 }], fc.oneof(fc.array(fc.record({ id: value, seed: value }, { requiredKeys: [] }), { maxLength: 3 }), value)), from: value }, { requiredKeys: ["paths"] }),
        fc.array(fc.tuple(fc.constantFrom("step", "predictions", "finals", "truncate", "snapshots"), fc.record({ ids, id: value, include: often(["png"], value) }, { requiredKeys: [] })), { maxLength: 4 }),
        async (open, paths, calls) => {
          const check = (r: { statusCode: number; body: string; json: () => unknown }, what: string) => {
            seen.add(r.statusCode);
            assert.ok([200, 201, 400, 404].includes(r.statusCode), `${what} -> ${r.statusCode} ${r.body.slice(0, 200)}`);
            if (r.statusCode >= 400) assert.doesNotMatch((r.json() as { message: string }).message, /\n\s+at /, "no stack trace");
          };
          const o = await app.inject({ method: "POST", url: "/v1/steps/sessions", payload: open });
          check(o, `open ${JSON.stringify(open).slice(0, 200)}`);
          if (o.statusCode !== 201) return;
          const at = `/v1/steps/sessions/${(o.json() as { session: string }).session}`;
          check(await app.inject({ method: "POST", url: `${at}/paths`, payload: paths }), `paths ${JSON.stringify(paths).slice(0, 200)}`);
          for (const [op, body] of calls) check(await app.inject({ method: "POST", url: `${at}/${op}`, payload: body }), `${op} ${JSON.stringify(body).slice(0, 200)}`);
          check(await app.inject({ method: "DELETE", url: at }), "close");
        },
      ),
      { numRuns: 120, seed: 7 },
    );
    assert.ok(seen.has(200) && seen.has(400), `both answers were exercised: ${[...seen]}`);
  });
});

function assertClean(r: { code: number; err: string }, args: string[], out?: string): void {
  const what = JSON.stringify(args).slice(0, 300);
  assert.ok([0, 1, 2].includes(r.code), `${what}: exit ${r.code}`);
  assert.doesNotMatch(r.err, /\n\s+at /, `${what}: a stack trace: ${r.err.slice(0, 300)}`);
  if (r.code !== 0) assert.ok(r.err.trim().split("\n").length <= 2, `${what}: one line (commander may add a hint): ${r.err}`);
  if (out) assert.deepEqual(readdirSync(out).filter((f) => f.endsWith(".tmp")), [], `${what}: a partial file`);
}

describe("the CLI under random arguments and files", () => {
  it("generate: bad values exit 2, missing weights exit 1, never a trace", async () => {
    const opt = fc.oneof(fc.constantFrom("3", "0", "-1", "abc", "", "1e3", "4294967296", "0.5", "100000"), fc.string({ maxLength: 6 }));
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constantFrom(PROMPT, "", "a photo of a zebra"), fc.string({ maxLength: 30 })), opt, opt, opt, opt, opt, async (p, n, seed, steps, cfg, temp) => {
        const out = mkdtempSync(join(dir, "gen-"));
        const args = ["generate", p, "--out", out, "--n", n, "--seed", seed, "--steps", steps, "--cfg", cfg, "--temperature", temp, "--generator", join(dir, "none.safetensors"), "--quiet"];
        assertClean(await cli(args), args, out);
      }),
      { numRuns: 80, seed: 11 },
    );
  });

  it("eval --detections: any file content is scored or refused in one line", async () => {
    const row = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc.record({ metadata: fc.oneof(fc.constant({ tag: "single_object", include: [{ class: "circle", count: 1 }], prompt: "a photo of a circle" }), fc.jsonValue({ maxDepth: 2 })), detections: fc.oneof(fc.constant([{ class: "circle", box: [0, 0, 9, 9], confidence: 0.9 }]), fc.jsonValue({ maxDepth: 2 })) }).map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 30 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(row, { maxLength: 4 }), async (rows) => {
        const file = join(dir, "dets.jsonl");
        writeFileSync(file, rows.join("\n"));
        const out = mkdtempSync(join(dir, "eval-"));
        const args = ["eval", "--detections", file, "--json", "--out", join(out, "summary.json")];
        const r = await cli(args);
        assertClean(r, args, out);
        assert.notEqual(r.code, 1, `${JSON.stringify(rows).slice(0, 300)}: bad content is the user's (2), not a failure: ${r.err}`);
      }),
      { numRuns: 150, seed: 13 },
    );
  });
});
