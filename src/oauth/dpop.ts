/**
 * The token pipeline's DPoP step (RFC 9449 sections 4.3, 5 and 8): with a `DPoP` header the proof is checked
 * and its key becomes the token's binding; without one the token is Bearer, unless the credential requires
 * DPoP. The proof's jti is single use per key thumbprint (a Durable Object), and with DPOP_NONCES=on the proof
 * must carry a fresh server nonce. A request without the header costs one header read and one flag check.
 */
import { issuerFor } from "../domain/realms";
import type { RequestContext } from "../context";
import { currentDpopNonce, isFreshDpopNonce } from "../crypto/dpop-nonce";
import { verifyDpopProof, type CheckedProof } from "../crypto/dpop-proof";
import { OAUTH_DESCRIPTIONS as D, OAuthError } from "../domain/errors";
import type { TokenBinding } from "../domain/token-claims";
import { acceptDpopProofOnce } from "../services/dpop-replay";
import { DPOP_NONCE_WINDOW_MS, DPOP_PROOF_FUTURE_SKEW_SECONDS, DPOP_PROOF_MAX_AGE_SECONDS } from "../tunables";
import type { AuthenticatedClient } from "./client-auth";

/** The binding of one mint, and the nonce to hand the client for its next proof (nonces on). */
export interface DpopMint {
  binding: TokenBinding;
  nextNonce?: string;
}

type Deps = Pick<RequestContext, "config" | "assertionReplay" | "realm">;

const invalidProof = (reason: string) => new OAuthError("invalid_dpop_proof", D.dpopProofInvalid, { reason });

async function checkNonce(deps: Deps, proof: CheckedProof, nowMs: number): Promise<string> {
  const pepper = deps.config.secretPepper;
  const fresh = proof.nonce !== undefined && (await isFreshDpopNonce(pepper, proof.nonce, nowMs, DPOP_NONCE_WINDOW_MS));
  const next = await currentDpopNonce(pepper, nowMs, DPOP_NONCE_WINDOW_MS);
  if (!fresh) {
    const reason = proof.nonce === undefined ? "dpop nonce missing" : "dpop nonce stale";
    throw new OAuthError("use_dpop_nonce", D.dpopNonceRequired, { reason, dpopNonce: next });
  }
  return next;
}

/** The proof of this request, verified; the htu may name the published token endpoint or the URL requested. */
async function checkedProof(deps: Deps, request: Request, header: string, nowMs: number): Promise<CheckedProof> {
  const published = `${issuerFor(deps.config, deps.realm)}/oauth/token`;
  const expect = {
    htm: request.method,
    nowMs,
    maxAgeSeconds: DPOP_PROOF_MAX_AGE_SECONDS,
    futureSkewSeconds: DPOP_PROOF_FUTURE_SKEW_SECONDS,
  };
  let verdict = await verifyDpopProof(header, { ...expect, htu: published });
  if (!verdict.ok && verdict.reason === "htu does not match" && request.url !== published)
    verdict = await verifyDpopProof(header, { ...expect, htu: request.url });
  if (!verdict.ok) throw invalidProof(verdict.reason);
  return verdict.proof;
}

/**
 * The DPoP binding for this mint, or undefined for a Bearer token. Throws invalid_dpop_proof (a bad, replayed
 * or missing-but-required proof) or use_dpop_nonce (nonces on, and the proof has no fresh nonce).
 */
export async function dpopBinding(
  deps: Deps,
  request: Request,
  client: AuthenticatedClient,
  nowMs: number,
): Promise<DpopMint | undefined> {
  const header = request.headers.get("dpop");
  if (header === null) {
    if (client.credential.requireDpop)
      throw new OAuthError("invalid_dpop_proof", D.dpopProofRequired, { reason: "credential requires dpop" });
    return undefined;
  }
  // RFC 9449 section 4.3 point 1: exactly one DPoP header; a compact JWS has no comma, so a list means several.
  if (header.includes(",")) throw invalidProof("more than one DPoP header");
  const proof = await checkedProof(deps, request, header, nowMs);
  const nextNonce = deps.config.dpopNonces ? await checkNonce(deps, proof, nowMs) : undefined;
  const keepUntilMs = (proof.iat + DPOP_PROOF_MAX_AGE_SECONDS) * 1000;
  if (!(await acceptDpopProofOnce(deps, proof.jkt, proof.jti, keepUntilMs))) throw invalidProof("dpop jti replayed");
  return { binding: { jkt: proof.jkt }, ...(nextNonce ? { nextNonce } : {}) };
}
