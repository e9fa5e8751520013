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
    token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHOD_NAMES],
    // RFC 7523 client assertions: the algorithms a client's registered key may use.
    token_endpoint_auth_signing_alg_values_supported: [...CLIENT_KEY_ALGS],
    service_documentation: `${deploymentIssuer}/api/v1/openapi.json`,
  };
}
