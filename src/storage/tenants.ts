/**
 * Tenants (organisations) and the built-in resource each one is given, inserted together. What that
 * resource is (Latchkey's management API and its scopes) is domain policy, so the caller passes it in
 * (services/tenants.ts); storage only writes rows.
 */
import { eq } from "drizzle-orm";
import type { Db } from "./db";
import { resources, tenants, type ResourceRow } from "./schema";

/** Creates a tenant with its built-in resource, unless they exist. Idempotent. */
export async function insertTenantIfAbsent(
  db: Db,
  tenant: { id: string; name: string; createdAt: number },
  builtin: ResourceRow,
): Promise<void> {
  await db.batch([
    db.insert(tenants).values(tenant).onConflictDoNothing(),
    db.insert(resources).values(builtin).onConflictDoNothing(),
  ]);
}

/** The id of every tenant. */
export async function listTenantIds(db: Db): Promise<string[]> {
  return (await db.select({ id: tenants.id }).from(tenants).all()).map((r) => r.id);
}

/** The tenant row, or undefined. */
export function getTenant(db: Db, id: string) {
  return db.select().from(tenants).where(eq(tenants.id, id)).get();
}

/** The inserts of a new tenant and its built-in resource, for the caller's batch; a taken id fails it (UNIQUE). */
export function tenantInserts(db: Db, tenant: { id: string; name: string; createdAt: number }, builtin: ResourceRow) {
  return [db.insert(tenants).values(tenant), db.insert(resources).values(builtin)] as const;
}
