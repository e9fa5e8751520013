/**
 * Client authentication for every endpoint that authenticates clients: the registry of methods, and
 * authenticateClient, which runs the method the request presented when the endpoint (or grant) accepts it.
 * Every failure (unknown client, wrong secret or key, bad assertion, retired or expired secret or key, revoked
 * or expired credential, a method not accepted here) ends in the same invalid_client; the reason is logged.
 * Adding a method: one module of the ClientAuthMethod shape, one line here, and its case in presented.ts.
 * A private_key_jwt client's jti check may still be under way when the token endpoint takes it
 * (authenticateClientPending); every other caller gets the client only once it is confirmed.
 */
import { clientSecretBasic, clientSecretPost } from "./client-secret";
import type { PresentedCredentials } from "./presented";
import { privateKeyJwt } from "./private-key-jwt";
import { failure } from "./standing";
import { subjectToken } from "./subject-token";
import type { AuthenticatedClient, ClientAuthDeps, ClientAuthMethod, ClientAuthMethodName } from "./types";

export type { AuthenticatedClient, ClientAuthDeps, ClientAuthMethod, ClientAuthMethodName } from "./types";
export { claimedClientId, parseBasic, presentedCredentials, type PresentedCredentials } from "./presented";
export { publicClientOf } from "./public-client";

/** The registered methods, in the order metadata lists them (RFC 8414 token_endpoint_auth_methods_supported). */
export const CLIENT_AUTH_METHODS: { readonly [N in ClientAuthMethodName]: ClientAuthMethod<N> } = {
  client_secret_basic: clientSecretBasic,
  client_secret_post: clientSecretPost,
  private_key_jwt: privateKeyJwt,
  subject_token: subjectToken,
};

/**
 * The methods of confidential clients (a secret or a key): every registered one but subject_token, which only
 * the token-exchange grant accepts and metadata does not list (it would suggest client_credentials without a secret).
 */
export const CLIENT_AUTH_METHOD_NAMES = (Object.keys(CLIENT_AUTH_METHODS) as ClientAuthMethodName[]).filter(
  (name) => name !== "subject_token",
);

/**
 * Waits for a client's jti check (private_key_jwt) and throws what it resolved to: the replay's
 * invalid_client, or the Durable Object's failure. Returns at once for a client without one.
 */
export async function confirmFreshAssertion(client: AuthenticatedClient): Promise<void> {
  if (client.pendingJtiCheck === undefined) return;
  const refusal = await client.pendingJtiCheck;
  if (refusal !== undefined) throw refusal;
}

/**
 * Authenticates as authenticateClient does, but hands a private_key_jwt client back while its jti check is
 * still under way (its pendingJtiCheck), so the caller can overlap the round trip with work that releases
 * nothing; the caller must confirmFreshAssertion before any token, usage or event leaves. A failure that would
 * come after the jti check (another tenant's credential) waits for it, so a replay gets the replay's refusal.
 */
export async function authenticateClientPending(
  deps: ClientAuthDeps,
  presented: PresentedCredentials,
  accepted: readonly ClientAuthMethodName[],
  nowMs: number,
): Promise<AuthenticatedClient> {
  if (presented.method === "none" || !accepted.includes(presented.method))
    throw failure(`${presented.method} not accepted here`, presented);
  const method = CLIENT_AUTH_METHODS[presented.method] as ClientAuthMethod;
  const client = await method.authenticate(deps, presented, nowMs);
  if (client.credential.tenantId !== deps.realm) {
    await confirmFreshAssertion(client);
    throw failure("credential of another tenant's realm", presented);
  }
  return client;
}

/**
 * Authenticates the presented credentials with their method, which must be one of `accepted`, and only a
 * credential of the request's realm: another tenant's credential is the same invalid_client (docs/realms.md).
 * The client it returns is confirmed (a private_key_jwt assertion's jti was fresh).
 */
export async function authenticateClient(
  deps: ClientAuthDeps,
  presented: PresentedCredentials,
  accepted: readonly ClientAuthMethodName[],
  nowMs: number,
): Promise<AuthenticatedClient> {
  const client = await authenticateClientPending(deps, presented, accepted, nowMs);
  await confirmFreshAssertion(client);
  return client;
}
