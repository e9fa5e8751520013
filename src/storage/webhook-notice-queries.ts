/**
 * The cron's reads for time-based webhook events: credentials and secrets expiring within the notice
 * horizon, and credentials unused for longer than their tenant's stale threshold. Only tenants with an
 * enabled webhook endpoint are read, so the step costs nothing where webhooks are not in use.
 */
import { sql } from "drizzle-orm";
import type { Db } from "./db";

/** Rows each query returns per run at most; the rest come up next hour. */
export const NOTICE_BATCH_LIMIT = 500;

const withEndpoint = (tenantColumn: string) =>
  sql.raw(`exists (select 1 from webhook_endpoints w where w.tenant_id = ${tenantColumn} and w.enabled = 1)`);

export interface ExpiringRow {
  tenantId: string;
  credentialId: string;
  label: string;
  expiresAt: number;
  secretId?: string;
  hint?: string;
}

/** Active credentials whose expiry falls in (now, now + horizon]. */
export function expiringCredentials(db: Db, nowMs: number, horizonMs: number): Promise<ExpiringRow[]> {
  return db.all<ExpiringRow>(sql`
    select c.tenant_id as tenantId, c.id as credentialId, c.label as label, c.expires_at as expiresAt
    from credentials c
    where c.status = 'active' and c.expires_at > ${nowMs} and c.expires_at <= ${nowMs + horizonMs}
      and ${withEndpoint("c.tenant_id")}
    limit ${NOTICE_BATCH_LIMIT}`);
}

/** Unretired secrets of active credentials whose expiry falls in (now, now + horizon]. */
export function expiringSecrets(db: Db, nowMs: number, horizonMs: number): Promise<ExpiringRow[]> {
  return db.all<ExpiringRow>(sql`
    select s.tenant_id as tenantId, s.credential_id as credentialId, c.label as label, s.expires_at as expiresAt,
      s.id as secretId, s.hint as hint
    from credential_secrets s join credentials c on c.id = s.credential_id
    where c.status = 'active' and s.retired_at is null
      and s.expires_at > ${nowMs} and s.expires_at <= ${nowMs + horizonMs}
      and ${withEndpoint("s.tenant_id")}
    limit ${NOTICE_BATCH_LIMIT}`);
}

export interface StaleRow {
  tenantId: string;
  credentialId: string;
  label: string;
  lastUsedAt: number | null;
  createdAt: number;
  staleAfterDays: number;
}

/** Live credentials not used (nor created) within their tenant's stale threshold (default `defaultDays`). */
export function staleCredentials(db: Db, nowMs: number, defaultDays: number): Promise<StaleRow[]> {
  return db.all<StaleRow>(sql`
    select c.tenant_id as tenantId, c.id as credentialId, c.label as label, c.last_used_at as lastUsedAt,
      c.created_at as createdAt, coalesce(a.stale_after_days, ${defaultDays}) as staleAfterDays
    from credentials c left join tenant_alert_settings a on a.tenant_id = c.tenant_id
    where c.status = 'active' and (c.expires_at is null or c.expires_at > ${nowMs})
      and coalesce(c.last_used_at, c.created_at) < ${nowMs} - coalesce(a.stale_after_days, ${defaultDays}) * 86400000
      and ${withEndpoint("c.tenant_id")}
    limit ${NOTICE_BATCH_LIMIT}`);
}
