/**
 * The keys of federated issuers (RFC 8693 subject tokens): the issuer's OpenID discovery document, whose
 * `issuer` must equal the configured issuer exactly, names its `jwks_uri`. Both are fetched under the issuer
 * URL policy (https with a public host; loopback only while Latchkey runs on loopback), with a timeout, a
 * size cap and no redirects followed. Each isolate caches an issuer's key set for ISSUER_KEYS_TTL_MS (at most
 * ISSUER_KEYS_MAX_ENTRIES issuers) and refetches on an unknown kid, but never within ISSUER_KEYS_COOLDOWN_MS of
 * the last attempt, so junk kids or a failing issuer cannot make Latchkey hammer it. Concurrent misses share
 * one fetch. Listed in isolate-caches.ts.
 */
import { subjectKeySet, type SubjectKeySet } from "../crypto/subject-token";
import { issuerUrlProblem } from "../domain/federation-rules";
import {
  ISSUER_FETCH_TIMEOUT_MS,
  ISSUER_KEYS_COOLDOWN_MS,
  ISSUER_KEYS_MAX_ENTRIES,
  ISSUER_KEYS_TTL_MS,
  ISSUER_RESPONSE_MAX_BYTES,
} from "../tunables";

export type IssuerKeysResult = { ok: true; keySet: SubjectKeySet; fetchedAt: number } | { ok: false; reason: string };

interface Entry {
  /** The last good key set, with when it was fetched. */
  good: { keySet: SubjectKeySet; fetchedAt: number } | null;
  /** When the issuer was last asked (successfully or not). */
  attemptedAt: number;
  lastFailure: string | null;
  inflight: Promise<IssuerKeysResult> | null;
}

const entries = new Map<string, Entry>();

class FetchRefused extends Error {}

/** Reads `url` as JSON: status 200 only (a redirect is refused), at most ISSUER_RESPONSE_MAX_BYTES, within the timeout. */
async function fetchJson(url: string): Promise<unknown> {
  const res = await fetch(url, {
    redirect: "manual",
    headers: { accept: "application/json" },
    signal: AbortSignal.timeout(ISSUER_FETCH_TIMEOUT_MS),
  });
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new FetchRefused(`${url} answered ${res.status}`);
  }
  const declared = Number(res.headers.get("content-length") ?? "0");
  if (declared > ISSUER_RESPONSE_MAX_BYTES || !res.body) {
    await res.body?.cancel();
    throw new FetchRefused(`${url} is larger than ${ISSUER_RESPONSE_MAX_BYTES} bytes`);
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > ISSUER_RESPONSE_MAX_BYTES) {
      await reader.cancel();
      throw new FetchRefused(`${url} is larger than ${ISSUER_RESPONSE_MAX_BYTES} bytes`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return JSON.parse(new TextDecoder().decode(bytes));
}

/** OpenID Connect Discovery 1.0 section 4: the issuer without a trailing slash, then the well-known path. */
const discoveryUrl = (issuer: string) => `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;

async function fetchKeySet(issuer: string, latchkeyIssuer: string): Promise<SubjectKeySet> {
  const issuerProblem = issuerUrlProblem(issuer, latchkeyIssuer);
  if (issuerProblem) throw new FetchRefused(`issuer refused: ${issuerProblem}`);
  const discovery = (await fetchJson(discoveryUrl(issuer))) as { issuer?: unknown; jwks_uri?: unknown } | null;
  if (discovery?.issuer !== issuer) throw new FetchRefused("discovery document names another issuer");
  const jwksUri = discovery.jwks_uri;
  if (typeof jwksUri !== "string") throw new FetchRefused("discovery document has no jwks_uri");
  const jwksProblem = issuerUrlProblem(jwksUri, latchkeyIssuer);
  if (jwksProblem) throw new FetchRefused(`jwks_uri refused: ${jwksProblem}`);
  return subjectKeySet((await fetchJson(jwksUri)) as Parameters<typeof subjectKeySet>[0]);
}

function entryFor(issuer: string): Entry {
  let entry = entries.get(issuer);
  if (!entry) {
    if (entries.size >= ISSUER_KEYS_MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
    entry = { good: null, attemptedAt: Number.NEGATIVE_INFINITY, lastFailure: null, inflight: null };
    entries.set(issuer, entry);
  }
  return entry;
}

function refetch(entry: Entry, issuer: string, latchkeyIssuer: string, nowMs: number): Promise<IssuerKeysResult> {
  entry.attemptedAt = nowMs;
  const inflight = fetchKeySet(issuer, latchkeyIssuer).then(
    (keySet): IssuerKeysResult => {
      entry.good = { keySet, fetchedAt: nowMs };
      entry.lastFailure = null;
      return { ok: true, ...entry.good };
    },
    (err: unknown): IssuerKeysResult => {
      entry.lastFailure = err instanceof FetchRefused ? err.message : `issuer fetch failed: ${String(err)}`;
      return { ok: false, reason: entry.lastFailure };
    },
  );
  entry.inflight = inflight.finally(() => {
    entry.inflight = null;
  });
  return entry.inflight;
}

/**
 * The key set of `issuer` at `nowMs`: the cached one while younger than the TTL; otherwise fetched, unless
 * the last attempt is within the cooldown (then the last good set, or its failure). `unknownKid` asks for a
 * fresh copy, under the same cooldown.
 */
export function issuerKeySet(
  issuer: string,
  latchkeyIssuer: string,
  nowMs: number,
  unknownKid = false,
): Promise<IssuerKeysResult> {
  const entry = entryFor(issuer);
  if (entry.inflight) return entry.inflight;
  const { good } = entry;
  if (good && !unknownKid && nowMs - good.fetchedAt < ISSUER_KEYS_TTL_MS) return Promise.resolve({ ok: true, ...good });
  if (nowMs - entry.attemptedAt < ISSUER_KEYS_COOLDOWN_MS) {
    if (good && !unknownKid) return Promise.resolve({ ok: true, ...good });
    return Promise.resolve({
      ok: false,
      reason: unknownKid ? "unknown kid, issuer refetched recently" : (entry.lastFailure ?? "issuer cooling down"),
    });
  }
  return refetch(entry, issuer, latchkeyIssuer, nowMs);
}

/** Forgets every issuer's keys (tests that reuse an issuer URL with other keys). */
export function forgetIssuerKeys(): void {
  entries.clear();
}
