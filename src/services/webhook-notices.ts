/**
 * The cron's time-based webhook events: `credential.expiring` and `secret.expiring` 7 days and 1 day before
 * the expiry (each once: a row in webhook_notices claims it, and a claim changes a row only the first time),
 * and `credential.stale` once per idle stretch (the notice key holds the last use, so a credential used
 * again and then left idle is reported again). The stale threshold is the tenant's `stale_after_days`
 * setting (default 30). A notice whose claim committed but whose queue send failed is lost (logged).
 */
import type { RequestContext } from "../context";
import { DEFAULT_STALE_AFTER_DAYS, EXPIRY_NOTICE_DAYS, type WebhookEventType } from "../domain/webhook-events";
import { expiringCredentials, expiringSecrets, staleCredentials } from "../storage/webhook-notice-queries";
import { claimNotice } from "../storage/webhooks";
import { queueWebhookEvent } from "./webhook-events";

const DAY_MS = 86_400_000;
type Deps = Pick<RequestContext, "db" | "env" | "log" | "background">;

interface Notice {
  key: string;
  tenantId: string;
  type: WebhookEventType;
  subject: string;
  data: Record<string, unknown>;
}

/** The notice window an expiry falls in: the smallest threshold not yet passed ("1d" inside a day). */
function windowOf(expiresAt: number, nowMs: number): number | undefined {
  const left = expiresAt - nowMs;
  return [...EXPIRY_NOTICE_DAYS].sort((a, b) => a - b).find((days) => left <= days * DAY_MS);
}

async function sendOnce(ctx: Deps, notices: Notice[], nowMs: number): Promise<number> {
  if (notices.length === 0) return 0;
  const [first, ...rest] = notices.map((n) => claimNotice(ctx.db, n.key, n.tenantId, nowMs));
  if (!first) return 0;
  const results = await ctx.db.batch([first, ...rest]);
  let sent = 0;
  for (const [i, notice] of notices.entries()) {
    if ((results[i]?.meta.changes ?? 0) === 0) continue;
    const { key: _key, ...event } = notice;
    queueWebhookEvent(ctx, { ...event, at: nowMs });
    sent += 1;
  }
  return sent;
}

/** Finds and sends this hour's time-based events; returns how many were sent. */
export async function sendTimeBasedNotices(ctx: Deps, nowMs: number): Promise<number> {
  const horizon = Math.max(...EXPIRY_NOTICE_DAYS) * DAY_MS;
  const notices: Notice[] = [];
  for (const c of await expiringCredentials(ctx.db, nowMs, horizon)) {
    const days = windowOf(c.expiresAt, nowMs);
    if (days === undefined) continue;
    notices.push({
      key: `credential.expiring:${c.credentialId}:${c.expiresAt}:${days}d`,
      tenantId: c.tenantId,
      type: "credential.expiring",
      subject: c.credentialId,
      data: { client_id: c.credentialId, label: c.label, expires_at: new Date(c.expiresAt).toISOString(), days },
    });
  }
  for (const s of await expiringSecrets(ctx.db, nowMs, horizon)) {
    const days = windowOf(s.expiresAt, nowMs);
    if (days === undefined || !s.secretId) continue;
    notices.push({
      key: `secret.expiring:${s.secretId}:${s.expiresAt}:${days}d`,
      tenantId: s.tenantId,
      type: "secret.expiring",
      subject: s.credentialId,
      data: {
        client_id: s.credentialId,
        label: s.label,
        secret: s.secretId,
        hint: s.hint,
        expires_at: new Date(s.expiresAt).toISOString(),
        days,
      },
    });
  }
  for (const c of await staleCredentials(ctx.db, nowMs, DEFAULT_STALE_AFTER_DAYS)) {
    notices.push({
      key: `credential.stale:${c.credentialId}:${c.lastUsedAt ?? "never"}`,
      tenantId: c.tenantId,
      type: "credential.stale",
      subject: c.credentialId,
      data: {
        client_id: c.credentialId,
        label: c.label,
        last_used_at: c.lastUsedAt === null ? null : new Date(c.lastUsedAt).toISOString(),
        stale_after_days: c.staleAfterDays,
      },
    });
  }
  return sendOnce(ctx, notices, nowMs);
}
