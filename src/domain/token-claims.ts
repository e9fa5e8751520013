/**
 * The claims of a Latchkey access token (RFC 9068), built by a pure function with the clock passed in.
 * `sub` is the client_id, whose `lkc_` prefix keeps it apart from any person's subject.
 */

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
  nowMs: number;
}

/** The attribution name under which everything a credential does is recorded. */
export function serviceName(label: string): string {
  return `svc:${label}`;
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
    svc: serviceName(input.label),
    tenant: input.tenantId,
    groups: input.groups,
  };
}
