/**
 * The shape every grant shares, like node-oidc-provider's lib/actions/grants/* or fosite's
 * TokenEndpointHandler: the grant_type it answers, the form parameters it reads, the client authentication
 * methods it accepts, and a handler that runs once the client is authenticated. The token pipeline does
 * everything else (form, credentials, authentication, limits, usage, the response).
 */
import type { RequestContext } from "../../context";
import type { PersonTokenClaims } from "../../domain/person-token-claims";
import type { AccessTokenClaims, TokenBinding } from "../../domain/token-claims";
import type { AuthenticatedClient, ClientAuthMethodName } from "../client-auth";

/**
 * What a grant handler may use: configuration and the D1 primary (the signing-key ring reads it). With a valid
 * DPoP proof the pipeline adds `tokenBinding`; a handler that passes these deps to `keyRing` signs bound tokens
 * (RFC 9449 section 6) without code of its own.
 */
export type GrantDeps = Pick<RequestContext, "config" | "db"> & { tokenBinding?: TokenBinding };

/** An issued access token, what the response and the mint log are made of. */
export interface IssuedToken {
  accessToken: string;
  claims: AccessTokenClaims;
  expiresIn: number;
  /** RFC 8693 section 2.2.1: set by the token-exchange grant, answered as issued_token_type. */
  issuedTokenType?: string;
}

export interface Grant {
  public?: undefined;
  /** The grant_type value (RFC 6749 section 4, or an absolute URI for extension grants). */
  grantType: string;
  /** The form parameters the handler reads, beyond grant_type and client authentication; it reads no other. */
  parameters: readonly string[];
  /** The client authentication methods it accepts; every grant today requires an authenticated client. */
  clientAuth: readonly ClientAuthMethodName[];
  /** Issues the token for an authenticated client at `nowMs`, or throws an OAuthError. */
  handler(
    deps: GrantDeps,
    client: AuthenticatedClient,
    params: Map<string, string>,
    nowMs: number,
  ): Promise<IssuedToken>;
}

/** What a public grant may use: configuration, the D1 primary (sessions, the key ring) and the logger. */
export type PublicGrantDeps = Pick<RequestContext, "config" | "db" | "log">;

/** A person's tokens for a public client: a short access token and the session's next refresh token. */
export interface IssuedPersonTokens {
  accessToken: string;
  refreshToken: string;
  claims: PersonTokenClaims;
  expiresIn: number;
}

/**
 * A grant for a public client (RFC 6749 section 2.1): no client authentication, so the pipeline checks only
 * that the client_id is a registered public client and does not count the handler's answers as failures
 * (polling errors are the device grant's normal replies). Its proof is the code or refresh token it reads.
 */
export interface PublicGrant {
  grantType: string;
  parameters: readonly string[];
  /** Marks the grant public; the pipeline takes its branch on this. */
  public: true;
  /** Issues the person's tokens for the public client `clientId` at `nowMs`, or throws an OAuthError. */
  handler(
    deps: PublicGrantDeps,
    clientId: string,
    params: Map<string, string>,
    request: { ip: string | null },
    nowMs: number,
  ): Promise<IssuedPersonTokens>;
}
