// Errors fastify answers with their own status: what a route, the step host or the compute
// worker finds wrong with a request, short of input errors (InputError is a 400 everywhere).

/** An error fastify answers with this status and message. */
export function httpError(statusCode: number, message: string): Error & { statusCode: number } {
  return Object.assign(new Error(message), { statusCode });
}

/** The status an error carries for the client, if any (InputError: 400). */
export function statusOf(e: unknown): number | undefined {
  const code = (e as { statusCode?: unknown }).statusCode;
  return typeof code === "number" ? code : undefined;
}
