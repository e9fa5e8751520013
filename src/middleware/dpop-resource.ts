/**
 * DPoP at the admin API, which is a resource server for management tokens (RFC 9449 section 7). A token bound to
 * a key (`cnf.jkt`) is accepted only as `Authorization: DPoP <token>` with one proof, made by that key for this
 * request (htm, htu, a fresh iat, `ath` = the token's hash), whose jti is used once per key. A bound token sent
 * as Bearer is refused, since a copy of it must be useless without the key; so is an unbound one sent as DPoP.
 */
import type { RequestContext } from "../context";
import { accessTokenHash, verifyDpopProof } from "../crypto/dpop-proof";
import { ProblemError } from "../domain/errors";
import { acceptDpopProofOnce } from "../services/dpop-replay";
import { DPOP_PROOF_FUTURE_SKEW_SECONDS, DPOP_PROOF_MAX_AGE_SECONDS } from "../tunables";

type Deps = Pick<RequestContext, "config" | "assertionReplay" | "log">;

const PROOF_DETAIL = "Send one valid DPoP proof for this request, made by the token's key.";

/** The scheme a token came with, and how it is bound: the checks of RFC 9449 section 7.1 that need no proof. */
export function assertSchemeMatchesBinding(scheme: "bearer" | "dpop", boundJkt: string | undefined): void {
  if (scheme === "bearer" && boundJkt !== undefined)
    throw new ProblemError(
      "dpop_bound_token",
      "This access token is DPoP-bound: send it as Authorization: DPoP <token>, with a DPoP proof.",
    );
  if (scheme === "dpop" && boundJkt === undefined)
    throw new ProblemError("dpop_bound_token", "This access token is not DPoP-bound: send it as Bearer.");
}

/** Checks the request's DPoP proof for a bound token (RFC 9449 section 7.1); throws invalid_dpop_proof otherwise. */
export async function checkResourceProof(
  deps: Deps,
  request: Request,
  token: string,
  boundJkt: string,
  nowMs: number,
): Promise<void> {
  const refused = (reason: string) => {
    deps.log.info("dpop_proof_refused", { reason, path: new URL(request.url).pathname });
    return new ProblemError("invalid_dpop_proof", PROOF_DETAIL);
  };
  const header = request.headers.get("dpop");
  if (header === null) throw refused("no dpop header");
  if (header.includes(",")) throw refused("more than one DPoP header");
  const expect = {
    htm: request.method,
    nowMs,
    maxAgeSeconds: DPOP_PROOF_MAX_AGE_SECONDS,
    futureSkewSeconds: DPOP_PROOF_FUTURE_SKEW_SECONDS,
    ath: await accessTokenHash(token),
  };
  const url = new URL(request.url);
  const published = `${deps.config.issuer}${url.pathname}`;
  let verdict = await verifyDpopProof(header, { ...expect, htu: published });
  if (!verdict.ok && verdict.reason === "htu does not match" && request.url !== published)
    verdict = await verifyDpopProof(header, { ...expect, htu: request.url });
  if (!verdict.ok) throw refused(verdict.reason);
  const { proof } = verdict;
  if (proof.jkt !== boundJkt) throw refused("proof key is not the token's");
  const keepUntilMs = (proof.iat + DPOP_PROOF_MAX_AGE_SECONDS) * 1000;
  if (!(await acceptDpopProofOnce(deps, proof.jkt, proof.jti, keepUntilMs))) throw refused("dpop jti replayed");
}
