/**
 * The registry of grants the token endpoint answers, keyed by grant_type. Adding a grant: one module of the
 * Grant shape in this folder and one line in GRANTS. A Map, not an object, so no grant_type ("constructor",
 * "__proto__") can reach a prototype member. Metadata's grant_types_supported is read from here.
 */
import { clientCredentials } from "./client-credentials";
import { deviceCode } from "./device-code";
import { refreshToken } from "./refresh-token";
import { tokenExchange } from "./token-exchange";
import type { Grant, PublicGrant } from "./types";

export type { Grant, GrantDeps, IssuedPersonTokens, IssuedToken, PublicGrant } from "./types";

const GRANTS: ReadonlyMap<string, Grant | PublicGrant> = new Map(
  [clientCredentials, tokenExchange, deviceCode, refreshToken].map((grant) => [grant.grantType, grant]),
);

/** Every registered grant_type, in registration order. */
export const GRANT_TYPES: readonly string[] = [...GRANTS.keys()];

/** The grant registered for `grantType`, or undefined. */
export function grantFor(grantType: string): Grant | PublicGrant | undefined {
  return GRANTS.get(grantType);
}
