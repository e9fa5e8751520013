/**
 * private_key_jwt (RFC 7523 sections 2.2 and 3, as updated by RFC 10070): client public keys and the
 * verification of the JWTs clients sign with them. Only ES256 (P-256) and EdDSA (Ed25519) are accepted, and the
 * algorithm is pinned by the stored key, never taken from the assertion, so `none`, HS256-with-the-public-key
 * and RS* all fail. RFC 10070: `aud` is the issuer identifier as its sole value (so an assertion made for one
 * server cannot be replayed at another endpoint of it), and `typ` is `client-authentication+jwt` or absent.
 * Verification returns a verdict; the caller turns any failure into the one invalid_client response.
 */
import {
  calculateJwkThumbprint,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  type JWK,
  type JWTHeaderParameters,
  type JWTPayload,
} from "jose";
import { ASSERTION_CLOCK_SKEW_SECONDS, MAX_ASSERTION_LIFETIME_SECONDS } from "../tunables";

export type ClientKeyAlg = "ES256" | "EdDSA";
export const CLIENT_KEY_ALGS: readonly ClientKeyAlg[] = ["ES256", "EdDSA"];

export interface ClientPublicKey {
  alg: ClientKeyAlg;
  /** The public members only, in canonical form. */
  publicJwk: JWK;
  /** RFC 7638 thumbprint (SHA-256, base64url): the `kid` of the client's assertions. */
  thumbprint: string;
}

/**
 * Checks a public JWK (already shape-checked at the edge) by importing it, and returns its canonical public
 * form, algorithm and thumbprint; null when it is not a usable P-256 or Ed25519 public key.
 */
export async function toClientPublicKey(jwk: {
  kty: string;
  crv: string;
  x: string;
  y?: string;
}): Promise<ClientPublicKey | null> {
  const alg: ClientKeyAlg | null =
    jwk.kty === "EC" && jwk.crv === "P-256" && jwk.y !== undefined
      ? "ES256"
      : jwk.kty === "OKP" && jwk.crv === "Ed25519" && jwk.y === undefined
        ? "EdDSA"
        : null;
  if (!alg) return null;
  const publicJwk: JWK =
    alg === "ES256" ? { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y } : { kty: "OKP", crv: "Ed25519", x: jwk.x };
  try {
    await importJWK(publicJwk, alg);
  } catch {
    return null;
  }
  return { alg, publicJwk, thumbprint: await calculateJwkThumbprint(publicJwk, "sha256") };
}

/** What an assertion claims to be, read without verification, to find the client and its key. */
export interface AssertionHints {
  kid: string | undefined;
  alg: string | undefined;
  iss: string | undefined;
}

export function peekAssertion(assertion: string): AssertionHints | null {
  try {
    const header = decodeProtectedHeader(assertion);
    const claims = decodeJwt(assertion);
    return {
      kid: typeof header.kid === "string" ? header.kid : undefined,
      alg: typeof header.alg === "string" ? header.alg : undefined,
      iss: typeof claims.iss === "string" ? claims.iss : undefined,
    };
  } catch {
    return null;
  }
}

const MAX_CACHED_KEYS = 10_000;
const importedKeys = new Map<string, Promise<CryptoKey>>();

function cryptoKeyFor(key: ClientPublicKey): Promise<CryptoKey> {
  let imported = importedKeys.get(key.thumbprint);
  if (!imported) {
    if (importedKeys.size >= MAX_CACHED_KEYS) importedKeys.clear();
    imported = importJWK(key.publicJwk, key.alg) as Promise<CryptoKey>;
    importedKeys.set(key.thumbprint, imported);
  }
  return imported;
}

let decoy: Promise<ClientPublicKey> | undefined;

/** A key no client holds, verified against when the client or kid is unknown, so both paths do the same work. */
function decoyKey(): Promise<ClientPublicKey> {
  decoy ??= generateKeyPair("ES256").then(async ({ publicKey }) => {
    const publicJwk = await exportJWK(publicKey);
    return { alg: "ES256" as const, publicJwk, thumbprint: `decoy:${await calculateJwkThumbprint(publicJwk)}` };
  });
  return decoy;
}

export interface AssertionExpectations {
  clientId: string;
  /** RFC 10070: the issuer identifier, the assertion's sole `aud` value. */
  issuer: string;
  nowMs: number;
}

/** RFC 10070 section 4: the explicit type of a client assertion. */
export const CLIENT_ASSERTION_TYP = "client-authentication+jwt";

/** RFC 7515 section 4.1.9: `typ` is a media type, compared case-insensitively, `application/` optional. */
function acceptableTyp(typ: unknown): boolean {
  if (typ === undefined) return true;
  if (typeof typ !== "string") return false;
  const lower = typ.toLowerCase();
  return lower === CLIENT_ASSERTION_TYP || lower === `application/${CLIENT_ASSERTION_TYP}`;
}

/** RFC 10070: the issuer is the sole audience, as a string or as an array of exactly that one string. */
function soleAudience(aud: unknown, issuer: string): boolean {
  return aud === issuer || (Array.isArray(aud) && aud.length === 1 && aud[0] === issuer);
}

export type AssertionVerdict = { ok: true; jti: string; expMs: number } | { ok: false; reason: string };

/** Verifies a client assertion against one stored key (or the decoy when `key` is null). */
export async function verifyClientAssertion(
  assertion: string,
  key: ClientPublicKey | null,
  expect: AssertionExpectations,
): Promise<AssertionVerdict> {
  const used = key ?? (await decoyKey());
  let payload: JWTPayload;
  let protectedHeader: JWTHeaderParameters;
  try {
    ({ payload, protectedHeader } = await jwtVerify(assertion, await cryptoKeyFor(used), {
      algorithms: [used.alg],
      issuer: expect.clientId,
      subject: expect.clientId,
      audience: expect.issuer,
      requiredClaims: ["exp", "jti"],
      currentDate: new Date(expect.nowMs),
      clockTolerance: ASSERTION_CLOCK_SKEW_SECONDS,
    }));
  } catch (err) {
    return {
      ok: false,
      reason: key ? `assertion rejected: ${(err as Error).message}` : "no live key of this client matches kid and alg",
    };
  }
  if (!key) return { ok: false, reason: "no live key of this client matches kid and alg" };
  if (!acceptableTyp(protectedHeader.typ))
    return { ok: false, reason: "assertion typ is neither client-authentication+jwt nor absent" };
  if (!soleAudience(payload.aud, expect.issuer)) return { ok: false, reason: "assertion aud is not the issuer alone" };
  const nowS = Math.floor(expect.nowMs / 1000);
  const exp = payload.exp as number;
  if (exp - nowS > MAX_ASSERTION_LIFETIME_SECONDS + ASSERTION_CLOCK_SKEW_SECONDS)
    return { ok: false, reason: "assertion lives too long" };
  if (payload.iat !== undefined) {
    if (payload.iat > nowS + ASSERTION_CLOCK_SKEW_SECONDS)
      return { ok: false, reason: "assertion issued in the future" };
    if (exp - payload.iat > MAX_ASSERTION_LIFETIME_SECONDS)
      return { ok: false, reason: "assertion lifetime over five minutes" };
  }
  const jti = payload.jti;
  if (typeof jti !== "string" || jti.length === 0 || jti.length > 256)
    return { ok: false, reason: "missing or oversized jti" };
  return { ok: true, jti, expMs: exp * 1000 };
}
