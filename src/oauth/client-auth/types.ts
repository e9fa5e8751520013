/**
 * The shape every client authentication method shares (RFC 6749 section 2.3, RFC 7523 section 2.2), so the
 * token endpoint, and later introspection and revocation, authenticate clients through one registry.
 * A method receives only the part of the request context it declares, and the credentials presented for it.
 */
import type { RequestContext } from "../../context";
import type { SecretRehash } from "../../services/pepper-rotation";
import type { CredentialRow } from "../../storage/schema";
import type { PresentedCredentials } from "./presented";

/** A token_endpoint_auth_method value (RFC 8414 section 2) that authenticates; "none" is public-client.ts. */
export type ClientAuthMethodName = Exclude<PresentedCredentials["method"], "none">;

/**
 * What authentication needs: configuration, D1 (primary and replica), the KV revocation list, the replay
 * objects, and the realm (the tenant whose issuer the request addressed; only its credentials authenticate).
 */
export type ClientAuthDeps = Pick<
  RequestContext,
  "config" | "db" | "replica" | "revocations" | "assertionReplay" | "realm"
>;

export interface AuthenticatedClient {
  credential: CredentialRow;
  /** The secret (or key) that authenticated, for per-secret and per-key last-used times. */
  authenticatorId: string;
  authenticatorKind: "secret" | "key" | "federated";
  method: ClientAuthMethodName;
  /** Set when the secret matched a hash that should be renewed under the current pepper (in the background). */
  secretRehash?: SecretRehash;
  /** Set by a token exchange: the federated identity that matched, the subject token's sub, its lifetime cap. */
  federated?: { identityId: string; subject: string; maxTokenLifetime: number | null };
  /**
   * Set by private_key_jwt once the assertion's signature and claims hold: its jti check in the replay Durable
   * Object, already under way. It resolves to undefined when the jti was fresh, or to the error to answer
   * instead (the replay's invalid_client, or the Durable Object's failure); it never rejects. No token may
   * leave before it has resolved to undefined: confirmFreshAssertion (index.ts) is the one way to wait for it.
   */
  pendingJtiCheck?: Promise<unknown>;
}

/** One client authentication method: its name, and how it verifies the credentials presented for it. */
export interface ClientAuthMethod<N extends ClientAuthMethodName = ClientAuthMethodName> {
  name: N;
  /** Verifies the presented credentials at `nowMs`; every failure is the one invalid_client, its reason logged. */
  authenticate(
    deps: ClientAuthDeps,
    presented: Extract<PresentedCredentials, { method: N }>,
    nowMs: number,
  ): Promise<AuthenticatedClient>;
}
