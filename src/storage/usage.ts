/**
 * Coalesced usage, many rows per statement: one UPDATE per table covers every credential (or secret, or key)
 * an isolate minted for in a window, its rows passed as one JSON parameter read with json_each. D1 runs one
 * statement at a time, so a flush costs at most six statements whatever the number of credentials, instead
 * of one or two per credential; and D1's 100-bound-parameter cap never applies. Times only move forward
 * (max), counts only add. The statements are D1's own prepared statements on the handle's client: drizzle's
 * builder cannot express UPDATE .. FROM json_each, and its raw queries do not go into a batch.
 */
import type { Db } from "./db";

/** One credential's usage in a window: its id, last mint time (ms) and mint count. */
export interface CredentialUsage {
  id: string;
  at: number;
  count: number;
}

/** One secret's or key's last use (ms). */
export interface AuthenticatorUsage {
  id: string;
  at: number;
}

const statement = (db: Db, query: string, rows: unknown[][]) => db.$client.prepare(query).bind(JSON.stringify(rows));

/** Adds each credential's count and moves its last-used time forward; one statement. */
export function recordCredentialUsages(db: Db, usages: CredentialUsage[]) {
  return statement(
    db,
    `UPDATE credentials
    SET last_used_at = max(coalesce(credentials.last_used_at, 0), u.at), mint_count = credentials.mint_count + u.n
    FROM (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS at, json_extract(value, '$[2]') AS n FROM json_each(?)) AS u
    WHERE credentials.id = u.id`,
    usages.map((u) => [u.id, u.at, u.count]),
  );
}

/** Moves each secret's last-used time forward; one statement. */
export function recordSecretUsages(db: Db, usages: AuthenticatorUsage[]) {
  return statement(
    db,
    `UPDATE credential_secrets
    SET last_used_at = max(coalesce(credential_secrets.last_used_at, 0), u.at)
    FROM (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS at FROM json_each(?)) AS u
    WHERE credential_secrets.id = u.id`,
    usages.map((u) => [u.id, u.at]),
  );
}

/** Moves each public key's last-used time forward; one statement. */
export function recordKeyUsages(db: Db, usages: AuthenticatorUsage[]) {
  return statement(
    db,
    `UPDATE credential_keys
    SET last_used_at = max(coalesce(credential_keys.last_used_at, 0), u.at)
    FROM (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS at FROM json_each(?)) AS u
    WHERE credential_keys.id = u.id`,
    usages.map((u) => [u.id, u.at]),
  );
}

/** One federated identity's last use (ms) and the subject token's `sub` that used it. */
export interface FederatedUsage extends AuthenticatorUsage {
  subject: string;
}

/** Moves each federated identity's last-used time forward with the subject that used it; one statement. */
export function recordFederatedUsages(db: Db, usages: FederatedUsage[]) {
  return statement(
    db,
    `UPDATE federated_identities
    SET last_used_at = u.at, last_subject = u.sub
    FROM (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS at, json_extract(value, '$[2]') AS sub FROM json_each(?)) AS u
    WHERE federated_identities.id = u.id AND coalesce(federated_identities.last_used_at, 0) <= u.at`,
    usages.map((u) => [u.id, u.at, u.subject.slice(0, 256)]),
  );
}

/** One credential's mints in one UTC hour (guardrails: quotas and caching health). */
export interface HourMints {
  credentialId: string;
  tenantId: string;
  hourStart: number;
  count: number;
}

/** Adds each credential's mints to its UTC hour rows, creating them; one statement. */
export function recordHourMints(db: Db, rows: HourMints[]) {
  return statement(
    db,
    `INSERT INTO credential_mint_hours (credential_id, tenant_id, hour_start, mint_count)
    SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]')
    FROM json_each(?) WHERE true
    ON CONFLICT (credential_id, hour_start) DO UPDATE SET mint_count = credential_mint_hours.mint_count + excluded.mint_count`,
    rows.map((r) => [r.credentialId, r.tenantId, r.hourStart, r.count]),
  );
}

/** The mints one credential saw from one source (guardrails: the console's recent sources). */
export interface SourceUsage {
  credentialId: string;
  tenantId: string;
  source: string;
  address: string;
  at: number;
  count: number;
}

/** Adds each source's mints, moving its last-seen time forward and keeping its latest address; one statement. */
export function recordSources(db: Db, rows: SourceUsage[]) {
  return statement(
    db,
    `INSERT INTO credential_sources (credential_id, tenant_id, source, address, first_seen_at, last_seen_at, mint_count)
    SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]'),
      json_extract(value, '$[4]'), json_extract(value, '$[4]'), json_extract(value, '$[5]')
    FROM json_each(?) WHERE true
    ON CONFLICT (credential_id, source) DO UPDATE SET
      address = excluded.address,
      last_seen_at = max(credential_sources.last_seen_at, excluded.last_seen_at),
      mint_count = credential_sources.mint_count + excluded.mint_count`,
    rows.map((r) => [r.credentialId, r.tenantId, r.source, r.address, r.at, r.count]),
  );
}
