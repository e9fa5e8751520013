/**
 * Repository for webhook endpoints, their delivery log and dead letters, the once-only notices of the cron
 * and the tenant's alert settings. Writes are returned unexecuted so services batch them with their audit
 * event; every read filters on the tenant.
 */
import { and, desc, eq, inArray } from "drizzle-orm";
import type { Db } from "./db";
import {
  tenantAlertSettings,
  webhookDeadLetters,
  webhookDeliveries,
  webhookEndpoints,
  webhookNotices,
  type TenantAlertSettingsRow,
  type WebhookDeliveryRow,
  type WebhookEndpointRow,
} from "./schema";

/** The tenant's endpoints, newest first. */
export function listEndpoints(db: Db, tenantId: string): Promise<WebhookEndpointRow[]> {
  return db
    .select()
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.tenantId, tenantId))
    .orderBy(desc(webhookEndpoints.createdAt))
    .all();
}

/** One endpoint of the tenant. */
export function getEndpoint(db: Db, tenantId: string, id: string): Promise<WebhookEndpointRow | undefined> {
  return db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, id)))
    .get();
}

export function insertEndpoint(db: Db, row: WebhookEndpointRow) {
  return db.insert(webhookEndpoints).values(row);
}

export function updateEndpoint(db: Db, tenantId: string, id: string, set: Partial<WebhookEndpointRow>) {
  return db
    .update(webhookEndpoints)
    .set(set)
    .where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, id)));
}

export function deleteEndpoint(db: Db, tenantId: string, id: string) {
  return db.delete(webhookEndpoints).where(and(eq(webhookEndpoints.tenantId, tenantId), eq(webhookEndpoints.id, id)));
}

/** Delivery rows for a fan-out; a row that exists (a retried fan-out) is left as it is. */
export function insertDeliveries(db: Db, rows: WebhookDeliveryRow[]) {
  return db.insert(webhookDeliveries).values(rows).onConflictDoNothing();
}

export function getDelivery(db: Db, id: string): Promise<WebhookDeliveryRow | undefined> {
  return db.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id)).get();
}

/** Records the outcome of one attempt. */
export function recordAttempt(
  db: Db,
  id: string,
  set: Pick<WebhookDeliveryRow, "status" | "attempts" | "lastStatus" | "lastError" | "updatedAt" | "nextAttemptAt">,
) {
  return db.update(webhookDeliveries).set(set).where(eq(webhookDeliveries.id, id));
}

/** The endpoint's latest deliveries, newest first. */
export function listDeliveries(db: Db, tenantId: string, endpointId: string, limit: number) {
  return db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.tenantId, tenantId), eq(webhookDeliveries.endpointId, endpointId)))
    .orderBy(desc(webhookDeliveries.createdAt))
    .limit(limit)
    .all();
}

export function insertDeadLetter(db: Db, row: typeof webhookDeadLetters.$inferInsert) {
  return db.insert(webhookDeadLetters).values(row).onConflictDoNothing();
}

/** Dead letters of the given deliveries (to mark them in the delivery log). */
export function deadLettersOf(db: Db, deliveryIds: string[]) {
  if (deliveryIds.length === 0) return Promise.resolve([]);
  return db.select().from(webhookDeadLetters).where(inArray(webhookDeadLetters.deliveryId, deliveryIds)).all();
}

/** Claims a notice key; the statement changes a row only the first time, so each notice is sent once. */
export function claimNotice(db: Db, key: string, tenantId: string, nowMs: number) {
  return db.insert(webhookNotices).values({ key, tenantId, at: nowMs }).onConflictDoNothing();
}

/** The tenant's alert settings, or undefined for the defaults. */
export function getAlertSettings(db: Db, tenantId: string): Promise<TenantAlertSettingsRow | undefined> {
  return db.select().from(tenantAlertSettings).where(eq(tenantAlertSettings.tenantId, tenantId)).get();
}

export function upsertAlertSettings(db: Db, row: TenantAlertSettingsRow) {
  return db
    .insert(tenantAlertSettings)
    .values(row)
    .onConflictDoUpdate({
      target: tenantAlertSettings.tenantId,
      set: {
        leakedSecretAction: row.leakedSecretAction,
        staleAfterDays: row.staleAfterDays,
        updatedAt: row.updatedAt,
        updatedBy: row.updatedBy,
      },
    });
}

/** Every endpoint's id and envelope, across tenants: for resealing after a key-encryption-key rotation. */
export function allEndpointEnvelopes(db: Db) {
  return db.select({ id: webhookEndpoints.id, envelope: webhookEndpoints.secretEnvelope }).from(webhookEndpoints).all();
}

/** Replaces an envelope only if it is still `previous` (two cron runs never clobber each other); true when it did. */
export async function replaceEndpointEnvelope(db: Db, id: string, previous: string, next: string): Promise<boolean> {
  const result = await db
    .update(webhookEndpoints)
    .set({ secretEnvelope: next })
    .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.secretEnvelope, previous)))
    .run();
  return result.meta.changes > 0;
}
