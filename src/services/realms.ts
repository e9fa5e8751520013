/**
 * Which tenants exist, as the realm paths (/t/{tenant}/...) ask on every request: a positive answer is kept in
 * the isolate (tenants are never deleted), a negative one is not (a tenant created a moment ago must resolve
 * on its next request). An unknown slug costs one primary read, like an unknown client_id does.
 */
import type { RequestContext } from "../context";
import { DEFAULT_TENANT_ID } from "../domain/management";
import { getTenant } from "../storage/tenants";

const KNOWN_MAX = 10_000;
const known = new Set<string>();

/** True when `tenantId` names a tenant (the default tenant always does: it is served before bootstrap). */
export async function tenantExists(ctx: Pick<RequestContext, "db">, tenantId: string): Promise<boolean> {
  if (tenantId === DEFAULT_TENANT_ID || known.has(tenantId)) return true;
  if (!(await getTenant(ctx.db, tenantId))) return false;
  if (known.size >= KNOWN_MAX) known.clear();
  known.add(tenantId);
  return true;
}
