// The queue's Redis: a URL checked before anything connects (a bad one is the user's input), and
// reached once with no retries (an unreachable server is a failure said in one line, not a
// command that hangs); the connections that follow reconnect on their own, as BullMQ's do.
import { Queue, type ConnectionOptions } from "bullmq";
import { InputError } from "../util/errors.js";
import { QUEUE_NAME } from "./jobs.js";

/** The Redis server is not there, or did not answer as one. */
export class QueueUnreachableError extends Error {}

/** Checks a --queue URL: redis://HOST[:PORT][/DB] (rediss:// for TLS); throws InputError naming what is wrong. */
export function parseQueueUrl(text: string): string {
  const bad = (why: string) => new InputError(`bad --queue URL '${text}': ${why} (expected redis://HOST:PORT, e.g. redis://127.0.0.1:6379)`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad("not a URL");
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") throw bad(`the scheme is '${url.protocol.replace(/:$/, "")}', not redis`);
  if (url.hostname === "") throw bad("no host");
  if (!/^(\/\d*)?$/.test(url.pathname)) throw bad(`'${url.pathname}' is not a database number`);
  if (url.search !== "" || url.hash !== "") throw bad("it has a query or fragment");
  return text;
}

export interface QueueConnection {
  url: string;
  connection: ConnectionOptions;
  /** for enqueuing and reading jobs */
  queue: Queue;
  close(): Promise<void>;
}

/** How long the first connection may take before the server counts as unreachable. */
const CONNECT_TIMEOUT_MS = 5000;

/** Checks that Redis answers at `text` (checked by parseQueueUrl); the options of the connections to make to it. */
export async function reachRedis(text: string): Promise<ConnectionOptions> {
  const url = parseQueueUrl(text);
  const probe = new Queue(QUEUE_NAME, { connection: { url, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: CONNECT_TIMEOUT_MS } });
  probe.on("error", () => {}); // the failure is waitUntilReady's to report
  try {
    await probe.waitUntilReady();
  } catch (e) {
    throw new QueueUnreachableError(`cannot reach Redis at ${url}: ${(e as Error).message}`);
  } finally {
    await probe.close().catch(() => {});
  }
  return { url };
}

/** Connects to the queue at `text`; throws QueueUnreachableError when Redis does not answer. */
export async function connectQueue(text: string): Promise<QueueConnection> {
  const connection = await reachRedis(text);
  const queue = new Queue(QUEUE_NAME, { connection });
  queue.on("error", () => {}); // ioredis reconnects by itself; a command that fails meanwhile says so to its caller
  return { url: text, connection, queue, close: () => queue.close() };
}
