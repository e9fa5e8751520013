/**
 * The signing key rings, one per tenant (docs/realms.md): which key signs now, which keys are published, and
 * rotation. A ring holds only its tenant's keys, so no tenant's key ever signs another tenant's tokens.
 * A new key is published at least two JWKS cache lifetimes before it signs; a retired key stays published
 * until every token it signed has expired (max lifetime + skew). The current signer and the published set
 * are cached in the isolate per tenant for a few minutes, so the token endpoint reads no key material per request.
 * The first key of a fresh database is inserted only if none exists and then read back (D1 decides which
 * isolate's key wins), so concurrent isolates never sign with keys the others do not publish.
 */
import { CLOCK_SKEW_SECONDS, JWKS_MAX_AGE_SECONDS, MAX_TOKEN_LIFETIME_SECONDS, type Config } from "../config";
import type { RequestContext } from "../context";
import type { SigningAlg } from "../crypto/algorithms";
import type { SigningKey } from "../crypto/access-token";
import {
  generateSigningKey,
  importPublicKey,
  openPrivateKey,
  sealPrivateJwk,
  type WrappingSecrets,
} from "../crypto/signing-keys";
import type { TokenBinding } from "../domain/token-claims";
import { DEFAULT_TENANT_ID } from "../domain/management";
import type { SigningKeyRow } from "../storage/schema";
import {
  insertFirstSigningKey,
  insertSigningKey,
  listSigningKeys,
  markRetired,
  pruneRetired,
  tenantsWithKeys,
} from "../storage/signing-keys";
import { listTenantIds } from "../storage/tenants";
import { KEY_RING_CACHE_MS as CACHE_MS } from "../tunables";

/**
 * What the ring reads and writes: the D1 primary, the configuration (signing algorithm, key-encryption keys)
 * and the tenant whose ring it is (`realm`: the request's tenant, or the one a caller names).
 */
export type RingDeps = Pick<RequestContext, "db" | "config" | "realm">;

/** The token pipeline's DPoP step sets this in the deps a grant receives: the ring's signer then binds (RFC 9449). */
export interface BindingDeps {
  tokenBinding?: TokenBinding;
}

const PUBLISH_LEAD_MS = 2 * JWKS_MAX_AGE_SECONDS * 1000;
const RETIRED_KEEP_MS = (MAX_TOKEN_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS) * 1000;

interface RingSnapshot {
  rows: SigningKeyRow[];
  signer: SigningKey;
  verifiers: Map<string, SigningKey>;
  validUntil: number;
}

/** Cached rings, by tenant; the oldest is dropped past RINGS_CACHED. */
const rings = new Map<string, { snapshot: Promise<RingSnapshot>; validUntil: number }>();
const RINGS_CACHED = 1_000;

/** True while a key is published: not retired, or retired so recently that its tokens may still be live. */
export function isPublished(row: SigningKeyRow, nowMs: number): boolean {
  return row.retiredAt === null || row.retiredAt > nowMs - RETIRED_KEEP_MS;
}

/** The key that signs at `nowMs`: the newest one whose activation time has come. */
export function currentKeyRow(rows: SigningKeyRow[], nowMs: number): SigningKeyRow | undefined {
  return rows.filter((r) => r.activatesAt <= nowMs).sort((a, b) => b.activatesAt - a.activatesAt)[0];
}

/** The key-encryption keys of this deployment: the current one seals, the previous one (mid-rotation) still opens. */
export function wrappingSecrets(config: Config): WrappingSecrets {
  return { current: config.keyEncryptionKey, previous: config.keyEncryptionKeyPrevious };
}

async function newKeyRow(deps: RingDeps, alg: SigningAlg, nowMs: number, activatesAt: number): Promise<SigningKeyRow> {
  const key = await generateSigningKey(alg);
  return {
    kid: key.kid,
    tenantId: deps.realm,
    alg,
    publicJwk: key.publicJwk,
    privateJwkEnvelope: await sealPrivateJwk(deps.config.keyEncryptionKey, key.kid, key.privateJwk),
    createdAt: nowMs,
    activatesAt,
    retiredAt: null,
  };
}

/**
 * The first key of a tenant's ring. Isolates that start together each try to insert one, but the insert
 * only lands while the ring has no unretired key (and, but for the default tenant, while the tenant exists),
 * so exactly one wins; everyone then signs with what D1 holds.
 */
export async function ensureFirstKey(
  deps: RingDeps,
  nowMs: number,
): Promise<{ rows: SigningKeyRow[]; created: string | undefined }> {
  const { db } = deps;
  const row = await newKeyRow(deps, deps.config.signingAlg, nowMs, nowMs);
  const inserted = await insertFirstSigningKey(db, row, deps.realm !== DEFAULT_TENANT_ID);
  return { rows: await listSigningKeys(db, deps.realm), created: inserted ? row.kid : undefined };
}

/** The signer: the current key, or on a fresh database (another isolate's clock a little ahead) the first unretired one. */
function signerRow(rows: SigningKeyRow[], nowMs: number): SigningKeyRow | undefined {
  return currentKeyRow(rows, nowMs) ?? rows.find((r) => r.retiredAt === null);
}

async function loadSnapshot(deps: RingDeps, nowMs: number): Promise<RingSnapshot> {
  let rows = await listSigningKeys(deps.db, deps.realm);
  // First start: no token has been signed yet, so the first key may sign at once.
  if (!currentKeyRow(rows, nowMs)) rows = (await ensureFirstKey(deps, nowMs)).rows;
  const current = signerRow(rows, nowMs);
  if (!current) throw new Error(`no signing key for tenant ${deps.realm} after first-key creation`);
  const verifiers = new Map<string, SigningKey>();
  for (const row of rows.filter((r) => isPublished(r, nowMs))) {
    verifiers.set(row.kid, { kid: row.kid, alg: row.alg, key: await importPublicKey(row.publicJwk, row.alg) });
  }
  const key = await openPrivateKey(
    wrappingSecrets(deps.config),
    current.kid,
    current.alg as SigningAlg,
    current.privateJwkEnvelope,
  );
  const nextActivation = rows.map((r) => r.activatesAt).filter((t) => t > nowMs);
  return {
    rows,
    signer: { kid: current.kid, alg: current.alg, key },
    verifiers,
    validUntil: Math.min(nowMs + CACHE_MS, ...nextActivation),
  };
}

/** The cached ring of `deps.realm`, reloaded when its time is up; its signer bound to `deps.tokenBinding` when set. */
export function keyRing(deps: RingDeps & BindingDeps, nowMs = Date.now()): Promise<RingSnapshot> {
  const tenant = deps.realm;
  const cachedRing = rings.get(tenant);
  const ring = cachedRing && nowMs < cachedRing.validUntil ? cachedRing.snapshot : loadRing(deps, tenant, nowMs);
  return deps.tokenBinding ? boundRing(ring, deps.tokenBinding) : ring;
}

function loadRing(deps: RingDeps, tenant: string, nowMs: number): Promise<RingSnapshot> {
  const entry = { snapshot: loadSnapshot(deps, nowMs), validUntil: Number.POSITIVE_INFINITY };
  rings.delete(tenant);
  if (rings.size >= RINGS_CACHED) rings.delete(rings.keys().next().value as string);
  rings.set(tenant, entry);
  entry.snapshot.then(
    (s) => {
      entry.validUntil = s.validUntil;
    },
    () => {
      if (rings.get(tenant) === entry) rings.delete(tenant);
    },
  );
  return entry.snapshot;
}

async function boundRing(ring: Promise<RingSnapshot>, confirmation: TokenBinding): Promise<RingSnapshot> {
  const s = await ring;
  return { ...s, signer: { ...s.signer, confirmation } };
}

/** Drops the isolate's cached rings (after a rotation in this isolate). */
export function forgetKeyRing(): void {
  rings.clear();
}

/**
 * Cron step for one tenant's ring: publish a successor when the current key is due, retire keys a newer one
 * has replaced, and delete retired keys whose tokens have all expired.
 */
export async function rotateSigningKeys(deps: RingDeps, nowMs: number): Promise<{ created?: string }> {
  const { config, db } = deps;
  const rows = await listSigningKeys(db, deps.realm);
  const current = currentKeyRow(rows, nowMs);
  for (const row of rows) {
    if (current && row.kid !== current.kid && row.activatesAt <= current.activatesAt && row.retiredAt === null) {
      await markRetired(db, row.kid, current.activatesAt);
    }
  }
  await pruneRetired(db, nowMs - RETIRED_KEEP_MS);
  const pending = rows.some((r) => r.activatesAt > nowMs);
  let created: string | undefined;
  if (!current) {
    created = (await ensureFirstKey(deps, nowMs)).created;
  } else if (
    !pending &&
    (nowMs - current.activatesAt >= config.signingKeyRotationDays * 86_400_000 || current.alg !== config.signingAlg)
  ) {
    const row = await newKeyRow(deps, config.signingAlg, nowMs, nowMs + PUBLISH_LEAD_MS);
    await insertSigningKey(db, row);
    created = row.kid;
  }
  forgetKeyRing();
  return { created };
}

/**
 * Cron step for every ring: the default tenant's, and each tenant that exists or still has keys. A tenant
 * whose ring fails is reported and the others still rotate. Returns the kids created, by tenant.
 */
export async function rotateAllSigningKeys(
  deps: Pick<RequestContext, "db" | "config">,
  nowMs: number,
  onFailure: (tenant: string, err: unknown) => void,
): Promise<Record<string, string>> {
  const tenants = new Set([DEFAULT_TENANT_ID, ...(await listTenantIds(deps.db)), ...(await tenantsWithKeys(deps.db))]);
  const created: Record<string, string> = {};
  for (const realm of tenants) {
    try {
      const result = await rotateSigningKeys({ ...deps, realm }, nowMs);
      if (result.created) created[realm] = result.created;
    } catch (err) {
      onFailure(realm, err);
    }
  }
  return created;
}
