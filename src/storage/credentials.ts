/**
 * Repository for credentials and their secrets. Reads return plain rows; writes are returned unexecuted
 * so a route can run them in one db.batch with the audit event that records them (D1 has no
 * interactive transactions: a batch is atomic).
 */
import { and, desc, eq, gt, inArray, isNull, ne, or, sql, type SQL } from "drizzle-orm";
import type { Db } from "./db";
import { insertIf } from "./guarded-insert";
import {
  credentialKeys,
  credentialSecrets,
  credentials,
  type CredentialKeyRow,
  type CredentialRow,
  type CredentialSecretRow,
} from "./schema";

export interface CredentialWithSecrets {
  credential: CredentialRow;
  secrets: CredentialSecretRow[];
  /** Unretired public keys (private_key_jwt). */
  keys: CredentialKeyRow[];
}

/**
 * The credential with its live secrets and keys (unretired, not past their expiry), in one query: what the
 * token endpoint needs to authenticate. The two left joins multiply rows (at most a few live secrets times a
 * few live keys), so each list is de-duplicated by id.
 */
export async function findForAuthentication(
  db: Db,
  clientId: string,
  nowMs: number,
): Promise<CredentialWithSecrets | null> {
  const rows = await db
    .select({ credential: credentials, secret: credentialSecrets, key: credentialKeys })
    .from(credentials)
    .leftJoin(
      credentialSecrets,
      and(
        eq(credentialSecrets.credentialId, credentials.id),
        isNull(credentialSecrets.retiredAt),
        or(isNull(credentialSecrets.expiresAt), gt(credentialSecrets.expiresAt, nowMs)),
      ),
    )
    .leftJoin(
      credentialKeys,
      and(
        eq(credentialKeys.credentialId, credentials.id),
        isNull(credentialKeys.retiredAt),
        or(isNull(credentialKeys.expiresAt), gt(credentialKeys.expiresAt, nowMs)),
      ),
    )
    .where(eq(credentials.id, clientId))
    .all();
  const first = rows[0];
  if (!first) return null;
  const secrets = new Map<string, CredentialSecretRow>();
  const keys = new Map<string, CredentialKeyRow>();
  for (const r of rows) {
    if (r.secret) secrets.set(r.secret.id, r.secret);
    if (r.key) keys.set(r.key.id, r.key);
  }
  return { credential: first.credential, secrets: [...secrets.values()], keys: [...keys.values()] };
}

export function getCredential(db: Db, tenantId: string, id: string): Promise<CredentialRow | undefined> {
  return db
    .select()
    .from(credentials)
    .where(and(eq(credentials.tenantId, tenantId), eq(credentials.id, id)))
    .get();
}

/** When a secret or key stops authenticating. */
export interface AuthenticatorLife {
  id: string;
  retiredAt: number | null;
  expiresAt: number | null;
}

/**
 * A credential of the tenant with the secret or key of id `authenticatorId` it owns (null when it owns none
 * by that id), in one query: the admin API's per-request check of a management token.
 */
export async function getCredentialWithAuthenticator(
  db: Db,
  tenantId: string,
  id: string,
  authenticatorId: string,
): Promise<{ credential: CredentialRow; authenticator: AuthenticatorLife | null } | undefined> {
  const secret = {
    id: credentialSecrets.id,
    retiredAt: credentialSecrets.retiredAt,
    expiresAt: credentialSecrets.expiresAt,
  };
  const key = { id: credentialKeys.id, retiredAt: credentialKeys.retiredAt, expiresAt: credentialKeys.expiresAt };
  const row = await db
    .select({ credential: credentials, secret, key })
    .from(credentials)
    .leftJoin(
      credentialSecrets,
      and(eq(credentialSecrets.credentialId, credentials.id), eq(credentialSecrets.id, authenticatorId)),
    )
    .leftJoin(
      credentialKeys,
      and(eq(credentialKeys.credentialId, credentials.id), eq(credentialKeys.id, authenticatorId)),
    )
    .where(and(eq(credentials.tenantId, tenantId), eq(credentials.id, id)))
    .get();
  return row && { credential: row.credential, authenticator: row.secret ?? row.key ?? null };
}

/** All secrets of a credential, retired ones included, newest first (for the admin view). */
export function listSecrets(db: Db, tenantId: string, credentialId: string): Promise<CredentialSecretRow[]> {
  return db
    .select()
    .from(credentialSecrets)
    .where(and(eq(credentialSecrets.tenantId, tenantId), eq(credentialSecrets.credentialId, credentialId)))
    .orderBy(desc(credentialSecrets.createdAt))
    .all();
}

export interface CredentialListFilter {
  status?: "active" | "revoked";
  group?: string;
  limit: number;
}

export function listCredentials(db: Db, tenantId: string, f: CredentialListFilter): Promise<CredentialRow[]> {
  const conditions = [eq(credentials.tenantId, tenantId)];
  if (f.status) conditions.push(eq(credentials.status, f.status));
  if (f.group) conditions.push(sql`exists (select 1 from json_each(${credentials.groups}) where value = ${f.group})`);
  return db
    .select()
    .from(credentials)
    .where(and(...conditions))
    .orderBy(desc(credentials.createdAt))
    .limit(f.limit)
    .all();
}

export function findActiveByLabel(db: Db, tenantId: string, label: string): Promise<CredentialRow | undefined> {
  return db
    .select()
    .from(credentials)
    .where(and(eq(credentials.tenantId, tenantId), eq(credentials.label, label), eq(credentials.status, "active")))
    .get();
}

export function insertCredential(db: Db, row: typeof credentials.$inferInsert) {
  return db.insert(credentials).values(row);
}

export function insertSecret(db: Db, row: CredentialSecretRow) {
  return db.insert(credentialSecrets).values(row);
}

/** SQL true while the credential has fewer than `max` live secrets (unretired, not past expiry) at `nowMs`. */
export function fewerLiveSecretsThan(credentialId: string, max: number, nowMs: number): SQL {
  return sql`(select count(*) from ${credentialSecrets} where ${credentialSecrets.credentialId} = ${credentialId} and ${credentialSecrets.retiredAt} is null and (${credentialSecrets.expiresAt} is null or ${credentialSecrets.expiresAt} > ${nowMs})) < ${max}`;
}

/** SQL true when a secret row of this id exists: the guard for the statements that follow a guarded insert. */
export function secretExists(secretId: string): SQL {
  return sql`exists (select 1 from ${credentialSecrets} where ${credentialSecrets.id} = ${secretId})`;
}

/** Inserts a secret only while `condition` holds when the statement runs (the two-live limit, a claim). */
export function insertSecretIf(db: Db, row: CredentialSecretRow, condition: SQL) {
  return insertIf(db, credentialSecrets, row, condition);
}

/**
 * Caps every live secret but `keepId` at `expiresAt` (the rotation grace), decided when the statement runs,
 * and only if `keepId` exists (its guarded insert happened).
 */
export function capOtherLiveSecrets(db: Db, credentialId: string, keepId: string, expiresAt: number, nowMs: number) {
  return db
    .update(credentialSecrets)
    .set({ expiresAt: sql`min(coalesce(${credentialSecrets.expiresAt}, ${expiresAt}), ${expiresAt})` })
    .where(
      and(
        eq(credentialSecrets.credentialId, credentialId),
        ne(credentialSecrets.id, keepId),
        isNull(credentialSecrets.retiredAt),
        or(isNull(credentialSecrets.expiresAt), gt(credentialSecrets.expiresAt, nowMs)),
        secretExists(keepId),
      ),
    );
}

/**
 * Inserts a secret, or rewrites the row of the same id (a setup-code redemption retried after a failure),
 * only when `condition` holds when the statement runs (the redemption's claim was recorded).
 */
export function upsertSecretIf(db: Db, row: CredentialSecretRow, condition: SQL) {
  return insertIf(db, credentialSecrets, row, condition).onConflictDoUpdate({
    target: credentialSecrets.id,
    set: {
      secretHash: row.secretHash,
      pepperId: row.pepperId,
      hint: row.hint,
      createdAt: row.createdAt,
      retiredAt: null,
    },
  });
}

/** Replaces a secret's hash with its hash under the current pepper, unless the stored hash changed meanwhile. */
export async function renewSecretHash(
  db: Db,
  secretId: string,
  storedHash: string,
  currentHash: string,
  pepperId: string,
): Promise<boolean> {
  const result = await db
    .update(credentialSecrets)
    .set({ secretHash: currentHash, pepperId })
    .where(and(eq(credentialSecrets.id, secretId), eq(credentialSecrets.secretHash, storedHash)))
    .run();
  return result.meta.changes > 0;
}

/** Live secrets whose hash is not (known to be) under the pepper `pepperId`: what a pepper rotation still waits for. */
export async function countSecretsNotUnderPepper(db: Db, pepperId: string, nowMs: number): Promise<number> {
  const row = await db
    .select({ n: sql<number>`count(*)` })
    .from(credentialSecrets)
    .where(
      and(
        isNull(credentialSecrets.retiredAt),
        sql`coalesce(${credentialSecrets.expiresAt}, ${nowMs + 1}) > ${nowMs}`,
        sql`coalesce(${credentialSecrets.pepperId}, '') != ${pepperId}`,
      ),
    )
    .get();
  return row?.n ?? 0;
}

export function updateCredential(
  db: Db,
  tenantId: string,
  id: string,
  patch: Partial<Pick<CredentialRow, "groups" | "grants">>,
) {
  return db
    .update(credentials)
    .set(patch)
    .where(and(eq(credentials.tenantId, tenantId), eq(credentials.id, id)));
}

/** Revokes a credential unless it is already revoked (checked in the same statement, so one of two racing revokes wins). */
export function revokeActiveCredential(db: Db, tenantId: string, id: string, nowMs: number, by: string) {
  return db
    .update(credentials)
    .set({ status: "revoked", revokedAt: nowMs, revokedBy: by })
    .where(and(eq(credentials.tenantId, tenantId), eq(credentials.id, id), eq(credentials.status, "active")));
}

/** Shortens the life of the given secrets to `expiresAt` (never lengthens it), when `condition` holds: the rotation grace period. */
export function capSecretExpiry(db: Db, credentialId: string, secretIds: string[], expiresAt: number, condition?: SQL) {
  return db
    .update(credentialSecrets)
    .set({ expiresAt: sql`min(coalesce(${credentialSecrets.expiresAt}, ${expiresAt}), ${expiresAt})` })
    .where(and(eq(credentialSecrets.credentialId, credentialId), inArray(credentialSecrets.id, secretIds), condition));
}

export function retireSecret(db: Db, credentialId: string, secretId: string, nowMs: number) {
  return db
    .update(credentialSecrets)
    .set({ retiredAt: nowMs })
    .where(
      and(
        eq(credentialSecrets.credentialId, credentialId),
        eq(credentialSecrets.id, secretId),
        isNull(credentialSecrets.retiredAt),
      ),
    );
}

/** Retires every live secret of a credential (revocation). */
export function retireAllSecrets(db: Db, credentialId: string, nowMs: number) {
  return db
    .update(credentialSecrets)
    .set({ retiredAt: nowMs })
    .where(and(eq(credentialSecrets.credentialId, credentialId), isNull(credentialSecrets.retiredAt)));
}

/** Adds coalesced usage: a later last-used time and `count` more mints. */
export function recordCredentialUsage(db: Db, id: string, lastUsedAt: number, count: number) {
  return db
    .update(credentials)
    .set({
      lastUsedAt: sql`max(coalesce(${credentials.lastUsedAt}, 0), ${lastUsedAt})`,
      mintCount: sql`${credentials.mintCount} + ${count}`,
    })
    .where(eq(credentials.id, id));
}

export function recordSecretUsage(db: Db, secretId: string, lastUsedAt: number) {
  return db
    .update(credentialSecrets)
    .set({ lastUsedAt: sql`max(coalesce(${credentialSecrets.lastUsedAt}, 0), ${lastUsedAt})` })
    .where(eq(credentialSecrets.id, secretId));
}
