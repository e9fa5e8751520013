/**
 * The typed hono environment every route and middleware shares (bindings and per-request variables), the
 * factory that builds them, and the per-request context of dependencies. Routes and middleware import this,
 * never app.ts, so nothing below the app depends on it (hono's createFactory pattern).
 */
import { createFactory } from "hono/factory";
import { getConfig, type Config, type Env } from "./config";
import type { Principal } from "./domain/principals";
import { log, type Logger } from "./log";
import { primaryDb, replicaDb, type Db } from "./storage/db";

export type AppEnv = { Bindings: Env; Variables: { principal: Principal } };

/** Creates apps, middleware and handlers typed with AppEnv. */
export const factory = createFactory<AppEnv>();

/** Work handed to the request's waitUntil (or the cron's), so it may finish after the response. */
export type Background = (work: Promise<unknown>) => void;

/**
 * What one request (or one cron run) may use, built once at the edge: database handles, configuration,
 * KV, the Durable Object namespaces, the clock, the logger and background work. Services and grants declare
 * the part they need (`Pick<RequestContext, "db" | "config">`) and receive it, instead of reading `env`.
 */
export interface RequestContext {
  config: Config;
  /** The D1 primary: every admin read and write. */
  db: Db;
  /** A Sessions API session any read replica may serve (the token endpoint's reads); made on first use. */
  replica(): Db;
  revocations: KVNamespace;
  setupCodes: Env["SETUP_CODES"];
  assertionReplay: Env["ASSERTION_REPLAY"];
  /** The raw bindings, for the few that have no narrower handle (rate limiters, D1 for usage flushes). */
  env: Env;
  clock: () => number;
  log: Logger;
  background: Background;
  /**
   * The tenant whose issuer the request addressed: the default tenant at the root paths, `{tenant}` under
   * `/t/{tenant}` (middleware/realm.ts sets it). Client authentication refuses other tenants' credentials.
   */
  realm: string;
}

/** The default tenant's id (domain/management.ts DEFAULT_TENANT_ID): the realm of the root paths and of cron runs. */
const ROOT_REALM = "default";

/** Builds the context of one request or cron run. Cheap: handles are cached per binding, the replica is lazy. */
export function buildContext(env: Env, waitUntil: (work: Promise<unknown>) => void): RequestContext {
  let replica: Db | undefined;
  return {
    config: getConfig(env),
    db: primaryDb(env.DB),
    replica: () => (replica ??= replicaDb(env.DB)),
    revocations: env.REVOCATIONS,
    setupCodes: env.SETUP_CODES,
    assertionReplay: env.ASSERTION_REPLAY,
    env,
    clock: Date.now,
    log,
    background: (work) => waitUntil(work.catch(() => undefined)),
    realm: ROOT_REALM,
  };
}
