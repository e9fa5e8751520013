/**
 * The claims of a person's management access token, issued to a tool the person signed in with the device
 * grant (RFC 8628) or a refresh: `sub` is the user id (`usr_`, never a client's `lkc_`), `client_id` the
 * public client, `sid` the device session whose end makes the admin API refuse the token at once. A pure
 * function with the clock passed in, like token-claims.ts.
 */
import { MANAGEMENT_RESOURCE } from "./management";

export interface PersonTokenClaims {
  iss: string;
  sub: string;
  aud: string;
  client_id: string;
  scope: string;
  iat: number;
  exp: number;
  jti: string;
  tenant: string;
  /** The device session the token belongs to. */
  sid: string;
}

export interface PersonClaimsInput {
  issuer: string;
  userId: string;
  tenantId: string;
  clientId: string;
  sessionId: string;
  scopes: readonly string[];
  lifetimeSeconds: number;
  jti: string;
  nowMs: number;
}

/** Builds the claims of a person's access token for Latchkey's own API. */
export function buildPersonTokenClaims(input: PersonClaimsInput): PersonTokenClaims {
  const iat = Math.floor(input.nowMs / 1000);
  return {
    iss: input.issuer,
    sub: input.userId,
    aud: MANAGEMENT_RESOURCE,
    client_id: input.clientId,
    scope: [...input.scopes].sort().join(" "),
    iat,
    exp: iat + input.lifetimeSeconds,
    jti: input.jti,
    tenant: input.tenantId,
    sid: input.sessionId,
  };
}

/** True for verified claims of a person's token (they name a session); a credential's token has none. */
export function isPersonTokenClaims(claims: object): claims is PersonTokenClaims {
  const c = claims as Partial<PersonTokenClaims>;
  return typeof c.sid === "string" && typeof c.sub === "string" && typeof c.tenant === "string";
}
