/**
 * Fault injection on the real bindings: a copy of the Worker's env whose D1 and KV are the real ones behind a
 * proxy that throws on the calls a test chooses, and a way to call the real Worker with that env. Every
 * call is logged, so a plan can say "after the commit" or "reads of this table". Statement-level failures
 * inside a batch use a SQLite trigger instead (failingTrigger), which aborts the real batch mid-way.
 */
import { createExecutionContext } from "cloudflare:test";
import worker from "../../src/index";
import type { Env } from "../../src/config";
import { env as realEnv, ISSUER } from "./harness";

export interface D1Call {
  kind: "batch" | "run" | "all" | "first" | "raw";
  /** The SQL of the statement, or of each statement of a batch. */
  sql: string[];
  /** True when a batch already succeeded through this env before this call. */
  afterCommit: boolean;
}

export interface FaultPlan {
  d1?: (call: D1Call) => boolean;
  /** Awaited before each batch runs: lets a test hold racing requests until all of them reached their batch. */
  beforeBatch?: (call: D1Call) => Promise<void>;
  kv?: (op: "get" | "put" | "delete", key: string) => boolean;
}

export const d1Outage = () => new Error("D1_ERROR: Network connection lost. (injected)");
export const kvOutage = () => new Error("KV PUT failed: 500 Internal Server Error (injected)");

/** Plans: the first batch (the commit) fails; every D1 call after the commit fails; KV writes fail. */
export const failCommit = (call: D1Call) => call.kind === "batch" && !call.afterCommit;
export const failAfterCommit = (call: D1Call) => call.afterCommit;
export const failKvWrites = (op: string) => op === "put" || op === "delete";

function faultyD1(real: D1Database, plan: FaultPlan["d1"], beforeBatch?: FaultPlan["beforeBatch"]): D1Database {
  const unwrap = new WeakMap<object, D1PreparedStatement>();
  const sqlOf = new WeakMap<object, string>();
  let committed = false;
  const check = (call: Omit<D1Call, "afterCommit">) => {
    if (plan?.({ ...call, afterCommit: committed })) throw d1Outage();
  };
  const wrap = (stmt: D1PreparedStatement, sql: string): D1PreparedStatement => {
    const proxy: D1PreparedStatement = new Proxy(stmt, {
      get(target, prop) {
        if (prop === "bind") return (...args: unknown[]) => wrap(target.bind(...args), sql);
        if (prop === "run" || prop === "all" || prop === "first" || prop === "raw") {
          return async (...args: unknown[]) => {
            check({ kind: prop, sql: [sql] });
            return (target[prop] as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    unwrap.set(proxy, stmt);
    sqlOf.set(proxy, sql);
    return proxy;
  };
  return new Proxy(real, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => wrap(target.prepare(sql), sql);
      if (prop === "batch") {
        return async (stmts: D1PreparedStatement[]) => {
          const sql = stmts.map((s) => sqlOf.get(s) ?? "");
          await beforeBatch?.({ kind: "batch", sql, afterCommit: committed });
          check({ kind: "batch", sql });
          const result = await target.batch(stmts.map((s) => unwrap.get(s) ?? s));
          committed = true;
          return result;
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

function faultyKv(real: KVNamespace, plan: FaultPlan["kv"]): KVNamespace {
  return new Proxy(real, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      if (prop === "get" || prop === "put" || prop === "delete") {
        return async (key: string, ...rest: unknown[]) => {
          if (plan?.(prop, key)) throw kvOutage();
          return (value as (...a: unknown[]) => unknown).apply(target, [key, ...rest]);
        };
      }
      return value.bind(target);
    },
  });
}

/** The real env with D1 and KV behind fault-injecting proxies. */
export function faultyEnv(plan: FaultPlan): Env {
  return {
    ...realEnv,
    DB: faultyD1(realEnv.DB, plan.d1, plan.beforeBatch),
    REVOCATIONS: faultyKv(realEnv.REVOCATIONS, plan.kv),
  };
}

/** Calls the real Worker with `env`; the execution context is returned so a test can wait for its background work. */
export async function callWith(
  env: Env,
  path: string,
  init: RequestInit = {},
): Promise<{ res: Response; ctx: ExecutionContext }> {
  const headers = new Headers(init.headers);
  if (!headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", "192.0.2.77");
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(ISSUER + path, { ...init, headers }), env, ctx);
  return { res, ctx };
}

/** An admin API call with a bearer token through `env`. */
export function adminWith(env: Env, token: string, method: string, path: string, body?: unknown) {
  return callWith(env, `/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/**
 * A beforeBatch hook that holds every batch whose SQL mentions `marker` until `n` of them are waiting, so `n`
 * racing requests have all done their reads (their check) before any of them writes.
 */
export function batchBarrier(n: number, marker: string): NonNullable<FaultPlan["beforeBatch"]> {
  let arrived = 0;
  let release!: () => void;
  const all = new Promise<void>((resolve) => (release = resolve));
  return async (call) => {
    if (!call.sql.some((s) => s.includes(marker))) return;
    arrived += 1;
    if (arrived === n) release();
    await all;
  };
}

/** Installs a trigger that aborts any `op` on `table` matching `when` (SQL on NEW/OLD), by default with an
 * outage D1 reports mid-batch (a timeout); returns its removal. */
export async function failingTrigger(
  table: string,
  op: "INSERT" | "UPDATE",
  when: string,
  action = "SELECT RAISE(ABORT, 'storage operation exceeded timeout (injected)')",
) {
  const name = `fault_${crypto.randomUUID().replace(/-/g, "")}`;
  await realEnv.DB.exec(`CREATE TRIGGER ${name} BEFORE ${op} ON ${table} WHEN ${when} BEGIN ${action}; END;`);
  return () => realEnv.DB.exec(`DROP TRIGGER ${name};`);
}
