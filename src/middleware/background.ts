/** The request's waitUntil as a plain function, for services that finish work after the response (retried KV publishes). */
import type { Context } from "hono";
import type { Background } from "../services/credential-changes";

/** Work handed to the request's waitUntil; without an execution context it still runs, its failure ignored. */
export function backgroundOf(c: Context): Background {
  return (work) => {
    const settled = work.catch(() => undefined);
    try {
      c.executionCtx.waitUntil(settled);
    } catch {
      // No execution context (a direct app.fetch): the promise runs on its own.
    }
  };
}
