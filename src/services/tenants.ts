/**
 * Making sure a tenant exists with its built-in management resource (domain/management.ts). Bootstrap and
 * the first-owner link both start from the default tenant, so whichever runs first creates it; the insert
 * ignores rows that exist, so running it again changes nothing.
 */
import { MANAGEMENT_RESOURCE, MANAGEMENT_SCOPES } from "../domain/management";
import type { Db } from "../storage/db";
import type { ResourceRow } from "../storage/schema";
import { insertTenantIfAbsent } from "../storage/tenants";

/** The built-in management resource every tenant is given. */
export function builtinResource(tenantId: string, nowMs: number): ResourceRow {
  return {
    id: `res_mgmt_${tenantId}`,
    tenantId,
    uri: MANAGEMENT_RESOURCE,
    name: "Latchkey management API",
    scopes: MANAGEMENT_SCOPES,
    builtin: true,
    createdAt: nowMs,
    createdBy: "system",
  };
}

/** Creates a tenant with its management resource, unless it exists. Idempotent. */
export async function ensureTenant(db: Db, id: string, name: string, nowMs: number): Promise<void> {
  await insertTenantIfAbsent(db, { id, name, createdAt: nowMs }, builtinResource(id, nowMs));
}
