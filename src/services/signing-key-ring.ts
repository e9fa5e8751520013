/**
 * The signing key ring: which key signs now, which keys are published, and rotation.
 * A new key is published at least two JWKS cache lifetimes before it signs; a retired key stays published
 * until every token it signed has expired (max lifetime + skew). The current signer and the published set
 * are cached in the isolate for a few minutes, so the token endpoint reads no key material per request.
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
import type { SigningKeyRow } from "../storage/schema";
import {
  insertFirstSigningKey,
  insertSigningKey,
  listSigningKeys,
  markRetired,
  pruneRetired,
} from "../storage/signing-keys";
import { KEY_RING_CACHE_MS as CACHE_MS } from "../tunables";

/** What the ring reads and writes: the D1 primary, and the configuration (signing algorithm, key-encryption keys). */
export type RingDeps = Pick<RequestContext, "db" | "config">;

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

let snapshot: Promise<RingSnapshot> | undefined;
let snapshotValidUntil = 0;

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
    alg,
    publicJwk: key.publicJwk,
    privateJwkEnvelope: await sealPrivateJwk(deps.config.keyEncryptionKey, key.kid, key.privateJwk),
    createdAt: nowMs,
    activatesAt,
    retiredAt: null,
  };
}

/**
 * The first key of a fresh database. Isolates that start together each try to insert one, but the insert
 * only lands while no unretired key exists, so exactly one wins; everyone then signs with what D1 holds.
 */
export async function ensureFirstKey(
  deps: RingDeps,
  nowMs: number,
): Promise<{ rows: SigningKeyRow[]; created: string | undefined }> {
  const { db } = deps;
  const row = await newKeyRow(deps, deps.config.signingAlg, nowMs, nowMs);
  const inserted = await insertFirstSigningKey(db, row);
  return { rows: await listSigningKeys(db), created: inserted ? row.kid : undefined };
}

/** The signer: the current key, or on a fresh database (another isolate's clock a little ahead) the first unretired one. */
function signerRow(rows: SigningKeyRow[], nowMs: number): SigningKeyRow | undefined {
  return currentKeyRow(rows, nowMs) ?? rows.find((r) => r.retiredAt === null);
}

async function loadSnapshot(deps: RingDeps, nowMs: number): Promise<RingSnapshot> {
  let rows = await listSigningKeys(deps.db);
  // First start: no token has been signed yet, so the first key may sign at once.
  if (!currentKeyRow(rows, nowMs)) rows = (await ensureFirstKey(deps, nowMs)).rows;
  const current = signerRow(rows, nowMs);
  if (!current) throw new Error("no signing key after first-key creation");
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

/** The cached ring, reloaded when its time is up; its signer bound to `deps.tokenBinding` when one is set. */
export function keyRing(deps: RingDeps & BindingDeps, nowMs = Date.now()): Promise<RingSnapshot> {
  if (!snapshot || nowMs >= snapshotValidUntil) {
    snapshotValidUntil = Number.POSITIVE_INFINITY;
    const loading = loadSnapshot(deps, nowMs);
    snapshot = loading;
    loading.then(
      (s) => {
        if (snapshot === loading) snapshotValidUntil = s.validUntil;
      },
      () => {
        if (snapshot === loading) snapshot = undefined;
      },
    );
  }
  return deps.tokenBinding ? boundRing(snapshot, deps.tokenBinding) : snapshot;
}

async function boundRing(ring: Promise<RingSnapshot>, confirmation: TokenBinding): Promise<RingSnapshot> {
  const s = await ring;
  return { ...s, signer: { ...s.signer, confirmation } };
}

/** Drops the isolate's cached ring (after a rotation in this isolate). */
export function forgetKeyRing(): void {
  snapshot = undefined;
}

/**
 * Cron step: publish a successor when the current key is due, retire keys a newer one has replaced,
 * and delete retired keys whose tokens have all expired.
 */
export async function rotateSigningKeys(deps: RingDeps, nowMs: number): Promise<{ created?: string }> {
  const { config, db } = deps;
  const rows = await listSigningKeys(db);
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
