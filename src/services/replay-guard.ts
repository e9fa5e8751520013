/**
 * The replay guard of private_key_jwt (RFC 7523 section 3): a client assertion's jti is accepted once. The
 * check-and-insert happens in the client's AssertionReplay Durable Object (strongly consistent, unlike KV);
 * this service is the only caller, so the oauth layer reaches no Durable Object itself.
 */
import type { RequestContext } from "../context";
import { rememberAssertion } from "../durable-objects/assertion-replay";

/** Records `jti` for `clientId` until `keepUntilMs`; false when it was seen before (a replay). */
export function acceptAssertionOnce(
  deps: Pick<RequestContext, "assertionReplay">,
  clientId: string,
  jti: string,
  keepUntilMs: number,
): Promise<boolean> {
  return rememberAssertion(deps.assertionReplay, clientId, jti, keepUntilMs);
}

/**
 * Records a subject token's `jti` for the federated identity `identityId` until `keepUntilMs`; false on a
 * replay. The same AssertionReplay class, one object per identity under the name `federated:<id>`: client
 * ids start with `lkc_`, so the names cannot collide with a client's assertion object.
 */
export function acceptSubjectTokenOnce(
  deps: Pick<RequestContext, "assertionReplay">,
  identityId: string,
  jti: string,
  keepUntilMs: number,
): Promise<boolean> {
  return rememberAssertion(deps.assertionReplay, `federated:${identityId}`, jti, keepUntilMs);
}
