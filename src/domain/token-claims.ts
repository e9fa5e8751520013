/**
 * The claims of a Latchkey access token (RFC 9068), built by a pure function with the clock passed in.
 * `sub` is the client_id, whose `lkc_` prefix keeps it apart from any person's subject. Management tokens
 * also name the secret or key that minted them (`authenticator`, an id, not secret), so the admin API refuses
 * them once it is retired or expired; other audiences never see it.
 */
import { serviceActor } from "./actors";
import { MANAGEMENT_RESOURCE } from "./management";

export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string;
  client_id: string;
  scope: string;
  iat: number;
  exp: number;
  jti: string;
  /** Latchkey's attribution name for the credential: `svc:<label>`. */
  svc: string;
  tenant: string;
  groups: string[];
  /** Management tokens only: the id of the secret or key that authenticated the mint. */
  authenticator?: string;
  /** RFC 9449 section 6 / RFC 7800: the DPoP key a sender-constrained token is bound to. */
  cnf?: TokenBinding;
}

/** RFC 7800 confirmation of a DPoP-bound token: the RFC 7638 thumbprint of the proof key. */
export interface TokenBinding {
  jkt: string;
}

export interface ClaimsInput {
  issuer: string;
  clientId: string;
  label: string;
  tenantId: string;
  groups: string[];
  resource: string;
  scopes: string[];
  lifetimeSeconds: number;
  jti: string;
  /** The secret or key that authenticated; carried only by tokens for the management resource. */
  authenticatorId: string;
  nowMs: number;
}

/** Builds the access-token claims for a successful client_credentials grant. */
export function buildAccessTokenClaims(input: ClaimsInput): AccessTokenClaims {
  const iat = Math.floor(input.nowMs / 1000);
  return {
    iss: input.issuer,
    sub: input.clientId,
    aud: input.resource,
    client_id: input.clientId,
    scope: input.scopes.join(" "),
    iat,
    exp: iat + input.lifetimeSeconds,
    jti: input.jti,
    svc: serviceActor(input.label),
    tenant: input.tenantId,
    groups: input.groups,
    ...(input.resource === MANAGEMENT_RESOURCE ? { authenticator: input.authenticatorId } : {}),
  };
}
