/**
 * The typed hono environment every route and middleware shares (bindings and per-request variables), and
 * the factory that builds them. Routes and middleware import this, never app.ts, so nothing below the app
 * depends on it (hono's createFactory pattern).
 */
import { createFactory } from "hono/factory";
import type { Env } from "./config";
import type { Principal } from "./domain/principals";

export type AppEnv = { Bindings: Env; Variables: { principal: Principal } };

/** Creates apps, middleware and handlers typed with AppEnv. */
export const factory = createFactory<AppEnv>();
