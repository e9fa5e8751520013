/**
 * DPoP proof verification at the token endpoint (RFC 9449 section 4.3), with jose. Every check of that section
 * the authorization server owns is here, each failure named by a reason for the log: typ `dpop+jwt`, an
 * allow-listed asymmetric alg, a public `jwk` only, the signature by that jwk, htm, htu after normalisation
 * (no query, no fragment), iat inside the window, and at a resource server the access token's hash (`ath`,
 * accessTokenHash). The jti's single use and the nonce are the caller's
 * (they need storage and a key); the proof's thumbprint (RFC 7638) is what a bound token's `cnf.jkt` names.
 */
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify, type JWK } from "jose";
import { toBase64url } from "./encoding";

/** RFC 9449 section 5.1 dpop_signing_alg_values_supported: the proof algorithms accepted (RSA is not). */
export const DPOP_ALGS = ["ES256", "EdDSA"] as const;

const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "k", "oth"] as const;
const MAX_JTI_LENGTH = 256;

export interface ProofExpectations {
  /** The request's method. */
  htm: string;
  /** The request's URI; compared with the proof's htu after both are normalised. */
  htu: string;
  nowMs: number;
  /** How old (s) a proof's iat may be. */
  maxAgeSeconds: number;
  /** How far (s) in the future a proof's iat may be (client clock skew). */
  futureSkewSeconds: number;
  /** At a resource server (RFC 9449 section 7.1): the access token's hash the proof's `ath` must be. */
  ath?: string;
}

/** A proof that passed every check but its jti's single use and its nonce. */
export interface CheckedProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's key. */
  jkt: string;
  jti: string;
  /** iat in seconds. */
  iat: number;
  nonce?: string;
}

export type ProofVerdict = { ok: true; proof: CheckedProof } | { ok: false; reason: string };

/** RFC 9449 section 4.3 point 9: scheme and host lower-cased, default port and dot segments gone, no query or fragment. */
export function normalisedHtu(uri: string): string | null {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return null;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return null;
  return `${url.origin}${url.pathname}`;
}

function headerProblem(proof: string): string | null {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    return "proof is not a JWS";
  }
  if (header.typ !== "dpop+jwt") return "typ is not dpop+jwt";
  if (typeof header.alg !== "string" || !(DPOP_ALGS as readonly string[]).includes(header.alg))
    return "alg not allowed";
  const jwk = header.jwk as Record<string, unknown> | undefined;
  if (!jwk || typeof jwk !== "object") return "no jwk header";
  if (PRIVATE_MEMBERS.some((m) => m in jwk)) return "jwk has private members";
  return null;
}

function claimsProblem(payload: Record<string, unknown>, expected: ProofExpectations): string | null {
  const { jti, htm, htu, iat, nonce } = payload;
  if (typeof jti !== "string" || jti.length === 0 || jti.length > MAX_JTI_LENGTH) return "jti missing or malformed";
  if (typeof htm !== "string") return "htm missing";
  if (typeof htu !== "string") return "htu missing";
  if (typeof iat !== "number" || !Number.isFinite(iat)) return "iat missing";
  if (nonce !== undefined && typeof nonce !== "string") return "nonce malformed";
  if (htm !== expected.htm) return "htm does not match";
  if (expected.ath !== undefined && payload.ath !== expected.ath) return "ath does not match";
  const ours = normalisedHtu(expected.htu);
  if (ours === null || normalisedHtu(htu) !== ours) return "htu does not match";
  const nowS = expected.nowMs / 1000;
  if (iat < nowS - expected.maxAgeSeconds) return "iat too old";
  if (iat > nowS + expected.futureSkewSeconds) return "iat in the future";
  return null;
}

/** Verifies one DPoP proof against the request it came with; the reason of a failure is for the log only. */
export async function verifyDpopProof(proof: string, expected: ProofExpectations): Promise<ProofVerdict> {
  const problem = headerProblem(proof);
  if (problem) return { ok: false, reason: problem };
  let payload: Record<string, unknown>;
  let jwk: JWK;
  try {
    const verified = await jwtVerify(proof, EmbeddedJWK, {
      typ: "dpop+jwt",
      algorithms: [...DPOP_ALGS],
      currentDate: new Date(expected.nowMs),
    });
    payload = verified.payload;
    jwk = verified.protectedHeader.jwk as JWK;
  } catch {
    return { ok: false, reason: "signature or jwk invalid" };
  }
  const claims = claimsProblem(payload, expected);
  if (claims) return { ok: false, reason: claims };
  const jkt = await calculateJwkThumbprint(jwk, "sha256");
  const { jti, iat, nonce } = payload as { jti: string; iat: number; nonce?: string };
  return { ok: true, proof: { jkt, jti, iat, ...(nonce === undefined ? {} : { nonce }) } };
}

/** RFC 9449 section 4.2 `ath`: the base64url SHA-256 of the access token's ASCII text. */
export async function accessTokenHash(accessToken: string): Promise<string> {
  return toBase64url(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(accessToken))));
}
