/**
 * Repository for credentials (their secrets: credential-secrets.ts). Reads return plain rows; writes are
 * returned unexecuted so a service can run them in one db.batch with the audit event that records them (D1
 * has no interactive transactions: a batch is atomic).
 */
import { and, desc, eq, gt, isNull, or, sql } from "drizzle-orm";
import type { Db } from "./db";
import {
  credentialKeys,
  credentialSecrets,
  credentials,
  revokedTokens,
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
 * by that id), and whether the token `jti` was revoked, in one query: the admin API's per-request check of a
 * management token.
 */
export async function getCredentialWithAuthenticator(
  db: Db,
  tenantId: string,
  id: string,
  authenticatorId: string,
  jti: string,
): Promise<{ credential: CredentialRow; authenticator: AuthenticatorLife | null; tokenRevoked: boolean } | undefined> {
  const secret = {
    id: credentialSecrets.id,
    retiredAt: credentialSecrets.retiredAt,
    expiresAt: credentialSecrets.expiresAt,
  };
  const key = { id: credentialKeys.id, retiredAt: credentialKeys.retiredAt, expiresAt: credentialKeys.expiresAt };
  const row = await db
    .select({ credential: credentials, secret, key, revokedJti: revokedTokens.jti })
    .from(credentials)
    .leftJoin(
      credentialSecrets,
      and(eq(credentialSecrets.credentialId, credentials.id), eq(credentialSecrets.id, authenticatorId)),
    )
    .leftJoin(
      credentialKeys,
      and(eq(credentialKeys.credentialId, credentials.id), eq(credentialKeys.id, authenticatorId)),
    )
    .leftJoin(revokedTokens, and(eq(revokedTokens.jti, jti), eq(revokedTokens.clientId, credentials.id)))
    .where(and(eq(credentials.tenantId, tenantId), eq(credentials.id, id)))
    .get();
  return (
    row && {
      credential: row.credential,
      authenticator: row.secret ?? row.key ?? null,
      tokenRevoked: row.revokedJti !== null,
    }
  );
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

export function updateCredential(
  db: Db,
  tenantId: string,
  id: string,
  patch: Partial<Pick<CredentialRow, "groups" | "grants" | "networkPolicy" | "quotaPolicy" | "requireDpop">>,
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
