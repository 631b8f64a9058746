// Long synchronous work (model calls) holds Node's one thread: timers, sockets and a queue
// worker's lock renewals wait for it. Awaiting this between pieces of such work lets the event
// loop take a turn, timers included.
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
