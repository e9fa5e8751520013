/** Tenants (organisations) and the built-in management resource each one is given. */
import type { Db } from "./db";
import { resources, tenants, type ScopeDefinition } from "./schema";

/** The URI of Latchkey's own admin API, the audience of management tokens. */
export const MANAGEMENT_RESOURCE = "urn:latchkey:management";
export const DEFAULT_TENANT_ID = "default";

export const MANAGEMENT_SCOPES: ScopeDefinition[] = [
  { name: "credentials:read", description: "List and read credentials", write: false },
  { name: "credentials:write", description: "Create, change, rotate and revoke credentials", write: true },
  { name: "resources:read", description: "List resources and their scopes", write: false },
  { name: "resources:write", description: "Define resources and their scopes", write: true },
  { name: "audit:read", description: "Read the audit log", write: false },
];

/** Creates a tenant with its management resource, unless it exists. Idempotent. */
export async function ensureTenant(db: Db, id: string, name: string, nowMs: number): Promise<void> {
  await db.batch([
    db.insert(tenants).values({ id, name, createdAt: nowMs }).onConflictDoNothing(),
    db
      .insert(resources)
      .values({
        id: `res_mgmt_${id}`,
        tenantId: id,
        uri: MANAGEMENT_RESOURCE,
        name: "Latchkey management API",
        scopes: MANAGEMENT_SCOPES,
        builtin: true,
        createdAt: nowMs,
        createdBy: "system",
      })
      .onConflictDoNothing(),
  ]);
}
