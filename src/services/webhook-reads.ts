/**
 * The plain reads of webhooks and alert settings for the admin API, on the D1 primary (read-your-writes
 * after a change), so routes never hold a database handle. Absent settings read as the defaults.
 */
import type { RequestContext } from "../context";
import { DEFAULT_STALE_AFTER_DAYS } from "../domain/webhook-events";
import { getAlertSettings, listDeliveries, listEndpoints } from "../storage/webhooks";

type Deps = Pick<RequestContext, "db">;

/** The tenant's webhook endpoints, newest first. */
export const tenantEndpoints = (ctx: Deps, tenantId: string) => listEndpoints(ctx.db, tenantId);

/** An endpoint's latest deliveries, newest first. */
export const endpointDeliveries = (ctx: Deps, tenantId: string, endpointId: string, limit: number) =>
  listDeliveries(ctx.db, tenantId, endpointId, limit);

/** The tenant's alert settings, the defaults (retire leaked secrets, stale after 30 days) when unset. */
export async function alertSettings(ctx: Deps, tenantId: string) {
  const row = await getAlertSettings(ctx.db, tenantId);
  return {
    leakedSecretAction: row?.leakedSecretAction ?? ("retire" as const),
    staleAfterDays: row?.staleAfterDays ?? DEFAULT_STALE_AFTER_DAYS,
  };
}
