/**
 * The resource-server side of RFC 9449 section 7 on the wire: reading `Authorization: DPoP <token>` with its
 * `DPoP` proof header, and the `WWW-Authenticate: DPoP` challenge of a refusal (error, description, algs).
 * Kept apart from hono.ts so any framework can reuse it.
 */
import { BOUND_AS_BEARER, type DpopPresentation } from "./dpop-verify.js";
import type { TokenVerificationError } from "./errors.js";

/** The DPoP proof algorithms a challenge advertises. */
export const DPOP_CHALLENGE_ALGS = "ES256 EdDSA";

/** A DPoP-scheme request: its token and what the proof is checked against; undefined for other schemes. */
export function dpopPresentation(
  authorization: string | undefined,
  proof: string | undefined,
  method: string,
  url: string,
): { token: string; presentation: DpopPresentation } | undefined {
  const match = /^DPoP +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(authorization ?? "");
  if (!match) return undefined;
  return { token: match[1] as string, presentation: { proof, method, url } };
}

/** True when a refusal is answered with a DPoP challenge: a DPoP request, a DPoP error, or a bound token as Bearer. */
export function usesDpopChallenge(error: TokenVerificationError, dpopScheme: boolean): boolean {
  if (error.code === "insufficient_scope") return false;
  return dpopScheme || error.code !== "invalid_token" || error.message === BOUND_AS_BEARER;
}

/** `WWW-Authenticate: DPoP ...` for a refusal (RFC 9449 section 7.1). */
export function dpopChallenge(realm: string | undefined, error: TokenVerificationError): string {
  const params = [
    ...(realm ? [`realm="${realm.replace(/["\\]/g, "")}"`] : []),
    `error="${error.code}"`,
    `error_description="${error.message}"`,
    `algs="${DPOP_CHALLENGE_ALGS}"`,
  ];
  return `DPoP ${params.join(", ")}`;
}
