/**
 * Public metadata: the JWKS (RFC 7517) with public members only and a bounded cache lifetime, and the
 * authorization server metadata (RFC 8414) whose issuer is exactly the `iss` of every token, and whose
 * grant types and client authentication methods are read from the oauth registries. Both serve the realm of
 * the request (ctx.realm): at the root the default tenant, under /t/{tenant} that tenant (docs/realms.md);
 * RFC 8414's path-inserted location of a tenant's metadata is realmMetadataRoutes, mounted by the app.
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../context";
import { JWKS_MAX_AGE_SECONDS } from "../config";
import { CLIENT_KEY_ALGS } from "../crypto/client-assertion";
import { DPOP_ALGS } from "../crypto/dpop-proof";
import { problems } from "../domain/errors";
import { CLIENT_AUTH_METHOD_NAMES } from "../oauth/client-auth";
import { GRANT_TYPES } from "../oauth/grants";
import { keyRing } from "../services/isolate-caches";
import { isPublished } from "../services/signing-key-ring";
import { ctxOf } from "../middleware/request-context";
import { resolveRealm } from "../middleware/realm";
import { issuerFor } from "../domain/realms";

const PUBLIC_MEMBERS = ["kty", "crv", "x", "y", "n", "e", "kid", "alg", "use"] as const;

function publicOnly(jwk: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of PUBLIC_MEMBERS) if (jwk[name] !== undefined) out[name] = jwk[name];
  return out;
}

export const wellKnownRoutes = new Hono<AppEnv>();

wellKnownRoutes.get("/.well-known/jwks.json", async (c) => {
  const nowMs = Date.now();
  const { rows } = await keyRing(ctxOf(c), nowMs);
  const keys = rows
    .filter((r) => isPublished(r, nowMs))
    .map((r) => publicOnly({ ...r.publicJwk, alg: r.alg, use: "sig" }));
  c.header("Cache-Control", `public, max-age=${JWKS_MAX_AGE_SECONDS}`);
  return c.json({ keys });
});

const serveMetadata = (c: Context<AppEnv>) => {
  const { config, realm } = ctxOf(c);
  c.header("Cache-Control", "public, max-age=3600");
  return c.json(authorizationServerMetadata(issuerFor(config, realm), config.issuer));
};

wellKnownRoutes.get("/.well-known/oauth-authorization-server", serveMetadata);

/** RFC 8414 section 3.1: the metadata of issuer `{ISSUER}/t/{tenant}` at `/.well-known/oauth-authorization-server/t/{tenant}`. */
export const realmMetadataRoutes = new Hono<AppEnv>();
realmMetadataRoutes.get("/.well-known/oauth-authorization-server/t/:tenant", resolveRealm(), serveMetadata);
realmMetadataRoutes.all("/.well-known/oauth-authorization-server/t/:tenant", () => {
  throw problems.methodNotAllowed("GET, HEAD");
});

for (const path of ["/.well-known/jwks.json", "/.well-known/oauth-authorization-server"]) {
  wellKnownRoutes.all(path, () => {
    throw problems.methodNotAllowed("GET, HEAD");
  });
}

/** RFC 8414 metadata of one issuer (a tenant's); `deploymentIssuer` is the root, where the admin API lives. */
export function authorizationServerMetadata(issuer: string, deploymentIssuer = issuer) {
  return {
    issuer,
    token_endpoint: `${issuer}/oauth/token`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    grant_types_supported: [...GRANT_TYPES],
    response_types_supported: [],
    // "none": the public `latchkey` CLI, for the device grant and its refresh tokens only.
    token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHOD_NAMES, "none"],
    // RFC 7523 client assertions: the algorithms a client's registered key may use.
    token_endpoint_auth_signing_alg_values_supported: [...CLIENT_KEY_ALGS],
    service_documentation: `${deploymentIssuer}/api/v1/openapi.json`,
    introspection_endpoint: `${issuer}/oauth/introspect`,
    introspection_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHOD_NAMES],
    revocation_endpoint: `${issuer}/oauth/revoke`,
    revocation_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHOD_NAMES],
    // Latchkey's own: the signed feed of revoked tokens resource servers poll (docs/resource-servers.md).
    latchkey_revocations_uri: `${issuer}/.well-known/latchkey-revocations`,
    // RFC 8628 section 4: where a public client starts a device sign-in.
    device_authorization_endpoint: `${issuer}/oauth/device_authorization`,
    // RFC 9449 section 5.1: the algorithms a DPoP proof may use.
    dpop_signing_alg_values_supported: [...DPOP_ALGS],
  };
}
