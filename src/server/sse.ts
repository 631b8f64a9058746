// Server-sent events over a raw response: how the page watches a generation. Writes after the
// client has gone are dropped, never thrown, so a disconnect cannot crash the server.
import type { ServerResponse } from "node:http";
import { yieldToLoop } from "../util/yield.js";

export class EventStream {
  private open = true;

  constructor(private readonly res: ServerResponse) {
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive" });
    res.on("close", () => (this.open = false));
    // a reset socket emits 'error' on the response; unhandled, that would end the process
    res.on("error", () => (this.open = false));
  }

  /** Sends one event (JSON data), waits for a full buffer to drain, then yields to the event loop. */
  async send(data: object): Promise<void> {
    if (!this.open) return;
    if (!this.res.write(`data: ${JSON.stringify(data)}\n\n`)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.res.off("drain", done).off("close", done);
          resolve();
        };
        this.res.on("drain", done).on("close", done);
      });
    }
    // generation steps hold the thread; yielding here lets other requests in between them
    await yieldToLoop();
  }

  end(): void {
    if (this.open) this.res.end();
  }
}
