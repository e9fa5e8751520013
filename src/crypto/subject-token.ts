/**
 * Verifying an external issuer's JWT, the subject token of an RFC 8693 token exchange: algorithms from an
 * allow-list (never `none`, never HMAC), `iss` exact, `exp`, `nbf` and `iat` with a small skew and a maximum
 * age. `aud` is left to the rules (domain/federation-match.ts), so one signature check serves every rule of
 * the issuer whatever audience each names. The keys are the issuer's JWKS, fetched and cached by the caller;
 * an unknown `kid` is reported as such so the caller may refetch once. Returns a verdict, never throws.
 */
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JSONWebKeySet } from "jose";

/** Algorithms a subject token may use (asymmetric only: HS256 keyed with public material is refused). */
export const SUBJECT_TOKEN_ALGS = ["RS256", "PS256", "ES256", "EdDSA"] as const;
/** Clock skew tolerated on exp, nbf and iat (s). */
export const SUBJECT_TOKEN_SKEW_SECONDS = 60;
/** Oldest a subject token may be, by its iat (s): CI tokens live minutes; Kubernetes rotates well within an hour. */
export const SUBJECT_TOKEN_MAX_AGE_SECONDS = 3600;
/** Largest subject token read (characters). */
export const MAX_SUBJECT_TOKEN_LENGTH = 16 * 1024;

/** What a subject token claims to be, read without verification, to find its rules and keys. */
export interface SubjectTokenHints {
  iss: string;
  kid: string | undefined;
}

/** The unverified `iss` and `kid`; null when the token is not a JWS with a string `iss`. */
export function peekSubjectToken(token: string): SubjectTokenHints | null {
  if (token.length > MAX_SUBJECT_TOKEN_LENGTH) return null;
  try {
    const header = decodeProtectedHeader(token);
    const { iss } = decodeJwt(token);
    if (typeof iss !== "string") return null;
    return { iss, kid: typeof header.kid === "string" ? header.kid : undefined };
  } catch {
    return null;
  }
}

export interface SubjectTokenExpectations {
  issuer: string;
  nowMs: number;
}

/** An issuer's key set, imported once per fetch (keys are imported on first use and kept with it). */
export type SubjectKeySet = ReturnType<typeof createLocalJWKSet>;

/** Imports a fetched JWKS; throws when it is not a JSON Web Key Set. */
export function subjectKeySet(jwks: JSONWebKeySet): SubjectKeySet {
  return createLocalJWKSet(jwks);
}

export type SubjectTokenVerdict =
  | { ok: true; claims: Record<string, unknown>; jti: string | undefined; keepUntilMs: number }
  | { ok: false; reason: string; unknownKid: boolean };

/** Verifies `token` against the issuer's key set and the expectations. */
export async function verifySubjectToken(
  token: string,
  keySet: SubjectKeySet,
  expect: SubjectTokenExpectations,
): Promise<SubjectTokenVerdict> {
  let claims: Record<string, unknown>;
  try {
    ({ payload: claims } = await jwtVerify(token, keySet, {
      algorithms: [...SUBJECT_TOKEN_ALGS],
      issuer: expect.issuer,
      requiredClaims: ["exp", "iat"],
      maxTokenAge: SUBJECT_TOKEN_MAX_AGE_SECONDS,
      clockTolerance: SUBJECT_TOKEN_SKEW_SECONDS,
      currentDate: new Date(expect.nowMs),
    }));
  } catch (err) {
    const unknownKid = err instanceof errors.JWKSNoMatchingKey;
    const code = err instanceof errors.JOSEError ? err.code : "ERR_UNKNOWN";
    return { ok: false, reason: `subject token rejected: ${code}: ${(err as Error).message}`, unknownKid };
  }
  const iat = claims.iat as number;
  if (iat > expect.nowMs / 1000 + SUBJECT_TOKEN_SKEW_SECONDS)
    return { ok: false, reason: "subject token issued in the future", unknownKid: false };
  const jti = claims.jti;
  if (jti !== undefined && (typeof jti !== "string" || jti.length === 0 || jti.length > 256))
    return { ok: false, reason: "subject token jti is not a short string", unknownKid: false };
  const lastAcceptedS = Math.min(claims.exp as number, iat + SUBJECT_TOKEN_MAX_AGE_SECONDS);
  return { ok: true, claims, jti, keepUntilMs: (lastAcceptedS + SUBJECT_TOKEN_SKEW_SECONDS) * 1000 };
}
