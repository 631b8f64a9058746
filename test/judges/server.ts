// A local stand-in for an OpenAI-compatible chat-completions server, on 127.0.0.1 and a random port.
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** Answers one request; `n` counts requests from 0. Leaving `res` unanswered makes the client time out. */
export type Handler = (req: SeenRequest, res: ServerResponse, n: number) => void | Promise<void>;

export interface FakeServer {
  /** the API root to give the judge, http://127.0.0.1:PORT/v1 */
  baseUrl: string;
  requests: SeenRequest[];
  /** requests in flight now, and the most at once so far */
  inFlight: number;
  maxInFlight: number;
  close(): Promise<void>;
}

export async function startServer(handler: Handler): Promise<FakeServer> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const seen: SeenRequest = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: text === "" ? undefined : JSON.parse(text) };
      const n = fake.requests.push(seen) - 1;
      fake.inFlight++;
      fake.maxInFlight = Math.max(fake.maxInFlight, fake.inFlight);
      let done = false;
      const finish = () => {
        if (!done) fake.inFlight--;
        done = true;
      };
      res.on("finish", finish); // the answer is handed to the socket, before the client can see it
      res.on("close", finish); // or the client gave up

      void handler(seen, res, n);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const fake: FakeServer = {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests: [],
    inFlight: 0,
    maxInFlight: 0,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
  return fake;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

/** A chat completion whose first token is `tokens[0]`, with all of `tokens` as its top alternatives. */
export function logprobsCompletion(tokens: [string, number][]): unknown {
  const top = tokens.map(([token, logprob]) => ({ token, logprob, bytes: [...Buffer.from(token)] }));
  return {
    id: "chatcmpl-test",
    object: "chat.completion",
    choices: [{ index: 0, message: { role: "assistant", content: top[0].token }, logprobs: { content: [{ ...top[0], top_logprobs: top }] }, finish_reason: "length" }],
  };
}

export function textCompletion(content: string): unknown {
  return { id: "chatcmpl-test", object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content }, logprobs: null, finish_reason: "stop" }] };
}
