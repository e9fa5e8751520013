/**
 * Repository for the append-only audit log. Inserts are returned unexecuted so they batch with the change
 * they record; they accept only the catalogued actions, each with its target type and detail shape.
 */
import { and, desc, eq, gte, lt, lte, sql, type SQL } from "drizzle-orm";
import { newId } from "../crypto/secrets";
import type { AuditAction, AuditDetail, AuditTarget } from "../domain/audit-actions";
import type { Db } from "./db";
import { auditEvents, tenants, type AuditEventRow } from "./schema";

interface AuditFacts {
  tenantId: string;
  /** An attribution name from domain/actors.ts. */
  actor: string;
  targetId?: string;
  ip?: string | null;
  userAgent?: string | null;
  at: number;
}

type DetailOf<A extends AuditAction> =
  AuditDetail<A> extends undefined ? { detail?: undefined } : { detail: AuditDetail<A> };

/** One event: a catalogued action with its own target type and detail shape (domain/audit-actions.ts). */
export type AuditInput = {
  [A in AuditAction]: AuditFacts & { action: A; targetType: AuditTarget<A> } & DetailOf<A>;
}[AuditAction];

/** The insert statement for one event; run it in the same db.batch as the change it records. */
export function auditInsert(db: Db, event: AuditInput) {
  return db.insert(auditEvents).values({
    id: newId("evt"),
    tenantId: event.tenantId,
    at: event.at,
    actor: event.actor,
    action: event.action,
    targetType: event.targetType,
    targetId: event.targetId ?? null,
    ip: event.ip ?? null,
    userAgent: event.userAgent?.slice(0, 256) ?? null,
    detail: event.detail ?? null,
  });
}

/**
 * The insert statement for an event that is written only when `condition` holds once the statements before
 * it in the same batch have run: for guarded changes, so a refused change leaves no event behind.
 */
export function auditInsertIf(db: Db, event: AuditInput, condition: SQL) {
  const value = (v: unknown) => sql`${v}`;
  const row = db
    .select({
      id: value(newId("evt")).as("id"),
      tenantId: value(event.tenantId).as("tenant_id"),
      at: value(event.at).as("at"),
      actor: value(event.actor).as("actor"),
      action: value(event.action).as("action"),
      targetType: value(event.targetType).as("target_type"),
      targetId: value(event.targetId ?? null).as("target_id"),
      ip: value(event.ip ?? null).as("ip"),
      userAgent: value(event.userAgent?.slice(0, 256) ?? null).as("user_agent"),
      detail: value(event.detail ? JSON.stringify(event.detail) : null).as("detail"),
    })
    .from(tenants)
    .where(and(eq(tenants.id, event.tenantId), condition));
  return db.insert(auditEvents).select(row);
}

/**
 * SQL true when the statement just before this one in the same batch changed a row (SQLite `changes()`).
 * Place an `auditInsertIf` with this condition right after a guarded UPDATE, so a refused change (a lost
 * race) leaves no event behind.
 */
export const previousStatementChanged = (): SQL => sql`changes() > 0`;

export interface AuditFilter {
  actor?: string;
  action?: string;
  targetId?: string;
  since?: number;
  until?: number;
  /** Only events strictly before this time (keyset pagination). */
  before?: number;
  limit: number;
}

/** Events of one tenant, newest first. */
export function listAuditEvents(db: Db, tenantId: string, f: AuditFilter): Promise<AuditEventRow[]> {
  const conditions = [eq(auditEvents.tenantId, tenantId)];
  if (f.actor) conditions.push(eq(auditEvents.actor, f.actor));
  if (f.action) conditions.push(eq(auditEvents.action, f.action));
  if (f.targetId) conditions.push(eq(auditEvents.targetId, f.targetId));
  if (f.since !== undefined) conditions.push(gte(auditEvents.at, f.since));
  if (f.until !== undefined) conditions.push(lte(auditEvents.at, f.until));
  if (f.before !== undefined) conditions.push(lt(auditEvents.at, f.before));
  return db
    .select()
    .from(auditEvents)
    .where(and(...conditions))
    .orderBy(desc(auditEvents.at), desc(auditEvents.id))
    .limit(f.limit)
    .all();
}
