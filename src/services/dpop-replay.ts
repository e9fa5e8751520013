/**
 * The replay guard of DPoP proofs (RFC 9449 section 11.1): a proof's jti is accepted once per key thumbprint
 * while its iat window accepts it. The check-and-insert runs in an AssertionReplay Durable Object named
 * `dpop:<jkt>` (strongly consistent, one object per proof key, so no global object sits on the token path);
 * client_ids start with `lkc_`, so those names never meet a client's assertion object.
 */
import type { RequestContext } from "../context";
import { rememberAssertion } from "../durable-objects/assertion-replay";

/** Records a proof's `jti` for key `jkt` until `keepUntilMs`; false when it was seen before (a replay). */
export function acceptDpopProofOnce(
  deps: Pick<RequestContext, "assertionReplay">,
  jkt: string,
  jti: string,
  keepUntilMs: number,
): Promise<boolean> {
  return rememberAssertion(deps.assertionReplay, `dpop:${jkt}`, jti, keepUntilMs);
}
