/**
 * Repository for revoked access tokens: a credential's not-before time (every token it was issued before
 * then is dead) and single tokens revoked by jti. Each is kept only until the tokens it names would have
 * expired anyway; the cron prunes the rest. Only introspection, the revocation feed and the admin API read
 * these, never the token endpoint. Writes are returned unexecuted, to batch with their audit event.
 */
import { and, eq, gt, isNotNull, lt, sql } from "drizzle-orm";
import type { Db } from "./db";
import { credentials, revokedTokens, type RevokedTokenRow } from "./schema";

/**
 * Moves a credential's not-before time to `notBefore` (never back) and how long it must be kept to `until`
 * (never shorter), in one statement of the caller's batch.
 */
export function setTokensNotBefore(db: Db, tenantId: string, id: string, notBefore: number, until: number) {
  return db
    .update(credentials)
    .set({
      tokensNotBefore: sql`max(coalesce(${credentials.tokensNotBefore}, 0), ${notBefore})`,
      tokensNotBeforeUntil: sql`max(coalesce(${credentials.tokensNotBeforeUntil}, 0), ${until})`,
    })
    .where(and(eq(credentials.tenantId, tenantId), eq(credentials.id, id)));
}

/** Records one revoked token; a token revoked before is left as it was (so `changes()` is 0). */
export function insertRevokedToken(db: Db, row: RevokedTokenRow) {
  return db.insert(revokedTokens).values(row).onConflictDoNothing();
}

/** What introspection needs to know about a token of `clientId`: its credential's standing and its jti. */
export interface TokenStanding {
  status: "active" | "revoked";
  expiresAt: number | null;
  tokensNotBefore: number | null;
  jtiRevoked: boolean;
}

/** The standing of the token `jti` of `clientId` in `tenantId`, in one query; undefined for no such credential. */
export async function tokenStanding(
  db: Db,
  tenantId: string,
  clientId: string,
  jti: string,
): Promise<TokenStanding | undefined> {
  const row = await db
    .select({
      status: credentials.status,
      expiresAt: credentials.expiresAt,
      tokensNotBefore: credentials.tokensNotBefore,
      revokedJti: revokedTokens.jti,
    })
    .from(credentials)
    .leftJoin(revokedTokens, and(eq(revokedTokens.jti, jti), eq(revokedTokens.clientId, credentials.id)))
    .where(and(eq(credentials.tenantId, tenantId), eq(credentials.id, clientId)))
    .get();
  if (!row) return undefined;
  const { revokedJti, ...rest } = row;
  return { ...rest, jtiRevoked: revokedJti !== null };
}

/**
 * A tenant's live revocations at `nowMs`: not-before times still kept (their horizon includes clock skew) and
 * jtis whose tokens expired less than `skewMs` ago or not at all.
 */
export async function liveRevocations(db: Db, tenantId: string, nowMs: number, skewMs: number) {
  const [clients, tokens] = await db.batch([
    db
      .select({ clientId: credentials.id, notBefore: credentials.tokensNotBefore })
      .from(credentials)
      .where(
        and(
          eq(credentials.tenantId, tenantId),
          isNotNull(credentials.tokensNotBefore),
          gt(credentials.tokensNotBeforeUntil, nowMs),
        ),
      )
      .orderBy(credentials.id),
    db
      .select({ jti: revokedTokens.jti, expiresAt: revokedTokens.expiresAt })
      .from(revokedTokens)
      .where(and(eq(revokedTokens.tenantId, tenantId), gt(revokedTokens.expiresAt, nowMs - skewMs)))
      .orderBy(revokedTokens.jti),
  ]);
  return { clients: clients as { clientId: string; notBefore: number }[], tokens };
}

/** Cron: forgets what liveRevocations no longer lists at `nowMs`. */
export function pruneTokenRevocations(db: Db, nowMs: number, skewMs: number) {
  return db.batch([
    db.delete(revokedTokens).where(lt(revokedTokens.expiresAt, nowMs - skewMs)),
    db
      .update(credentials)
      .set({ tokensNotBefore: null, tokensNotBeforeUntil: null })
      .where(and(isNotNull(credentials.tokensNotBeforeUntil), lt(credentials.tokensNotBeforeUntil, nowMs))),
  ]);
}
