/**
 * The request's RequestContext (context.ts), built on first use and kept for the rest of the request, so
 * routes and middleware hand services their dependencies instead of `env`. Keyed on the Request object in
 * a WeakMap: AppEnv stays as it is, nothing has to be mounted first, and the entry dies with the request.
 * Background work goes to the request's waitUntil; a direct app.fetch without an execution context still
 * runs it, its failure ignored.
 */
import type { Context } from "hono";
import { buildContext, type AppEnv, type RequestContext } from "../context";

const contexts = new WeakMap<Request, RequestContext>();

/** The context of the request `c` serves; the same object for every caller within one request. */
export function ctxOf(c: Context<AppEnv>): RequestContext {
  let ctx = contexts.get(c.req.raw);
  if (!ctx) {
    ctx = buildContext(c.env, (work) => {
      try {
        c.executionCtx.waitUntil(work);
      } catch {
        // No execution context (a direct app.fetch): the promise runs on its own.
      }
    });
    contexts.set(c.req.raw, ctx);
  }
  return ctx;
}
