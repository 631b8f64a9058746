// The page: web/index.html at / and the files beside it under /web/, served from disk with no
// CDN and no build step. Only the files present at start-up are served (no path tricks).
import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import type { FastifyInstance } from "fastify";

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

export function registerWeb(app: FastifyInstance, webDir: string): void {
  const files = new Set(readdirSync(webDir).filter((f) => TYPES[extname(f)] && statSync(join(webDir, f)).isFile()));
  const send = (name: string) => ({ type: TYPES[extname(name)], body: readFileSync(join(webDir, name)) });
  app.get("/", async (_req, reply) => {
    const f = send("index.html");
    return reply.type(f.type).header("cache-control", "no-cache").send(f.body);
  });
  app.get<{ Params: { name: string } }>("/web/:name", async (req, reply) => {
    if (!files.has(req.params.name)) return reply.code(404).send({ statusCode: 404, error: "Not Found", message: `no such file: /web/${req.params.name}` });
    const f = send(req.params.name);
    return reply.type(f.type).header("cache-control", "no-cache").send(f.body);
  });
}
