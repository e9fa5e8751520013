/**
 * drizzle handles over D1. Admin reads and writes go to the primary (read-your-writes); the token endpoint
 * reads through a Sessions API session that a nearby read replica may serve. drizzle's types accept only
 * D1Database, so the session is cast: at runtime it offers the same prepare/batch surface.
 */
import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

export type Db = ReturnType<typeof drizzle<typeof schema>>;

const primaries = new WeakMap<D1Database, Db>();

/** The primary database: every admin read and write. */
export function primaryDb(d1: D1Database): Db {
  let db = primaries.get(d1);
  if (!db) {
    db = drizzle(d1, { schema });
    primaries.set(d1, db);
  }
  return db;
}

/** A session that any replica may serve: for the token endpoint's reads, which tolerate replica lag. */
export function replicaDb(d1: D1Database): Db {
  return drizzle(d1.withSession("first-unconstrained") as unknown as D1Database, { schema });
}
