/**
 * End to end against the real local server: an admin defines an API and a credential through the admin
 * API, an independent OAuth client (oauth4webapi) mints with client_secret_basic and client_secret_post,
 * and a resource server verifies the tokens with jose's createRemoteJWKSet against the served JWKS.
 */
import * as oauth from "oauth4webapi";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { adminSession, url } from "./support";

const RESOURCE = "https://inventory.example/api";
let admin: Awaited<ReturnType<typeof adminSession>>;
let credential: { client_id: string; client_secret: string; label: string };

beforeAll(async () => {
  admin = await adminSession();
  const resource = await admin.api("POST", "/resources", {
    uri: RESOURCE,
    name: "Inventory",
    scopes: [{ name: "inventory:read" }, { name: "inventory:write", write: true }],
  });
  expect([201, 409]).toContain(resource.status);
  const created = await admin.api("POST", "/credentials", {
    label: `e2e-${Date.now()}`,
    grants: [{ resource: RESOURCE, scopes: ["inventory:read", "inventory:write"] }],
    groups: ["warehouse"],
  });
  expect(created.status).toBe(201);
  credential = created.body;
});

async function discover() {
  const issuer = new URL(url());
  const response = await oauth.discoveryRequest(issuer, { algorithm: "oauth2", [oauth.allowInsecureRequests]: true });
  return oauth.processDiscoveryResponse(issuer, response);
}

describe("an independent OAuth client against the real server", () => {
  it("discovers the server, mints with client_secret_basic and client_secret_post, and the token verifies remotely", async () => {
    const as = await discover();
    expect(as.issuer).toBe(url());
    const client: oauth.Client = { client_id: credential.client_id };
    for (const auth of [
      oauth.ClientSecretBasic(credential.client_secret),
      oauth.ClientSecretPost(credential.client_secret),
    ]) {
      const response = await oauth.clientCredentialsGrantRequest(
        as,
        client,
        auth,
        new URLSearchParams({ scope: "inventory:read" }),
        {
          [oauth.allowInsecureRequests]: true,
        },
      );
      const result = await oauth.processClientCredentialsResponse(as, client, response);
      expect(result.token_type).toBe("bearer");
      expect(result.expires_in).toBe(3600);
      expect(result.scope).toBe("inventory:read");

      const { payload, protectedHeader } = await jwtVerify(
        result.access_token,
        createRemoteJWKSet(new URL(as.jwks_uri!)),
        {
          issuer: as.issuer,
          audience: RESOURCE,
          typ: "at+jwt",
          algorithms: ["ES256"],
        },
      );
      expect(protectedHeader.alg).toBe("ES256");
      expect(payload).toMatchObject({
        sub: credential.client_id,
        client_id: credential.client_id,
        svc: `svc:${credential.label}`,
        groups: ["warehouse"],
        tenant: "default",
      });
    }
  });

  it("reports OAuth errors through the client library, and a revoked credential stops minting at once", async () => {
    const as = await discover();
    const client: oauth.Client = { client_id: credential.client_id };
    const bad = await oauth.clientCredentialsGrantRequest(
      as,
      client,
      oauth.ClientSecretBasic(credential.client_secret),
      new URLSearchParams({ scope: "inventory:delete" }),
      {
        [oauth.allowInsecureRequests]: true,
      },
    );
    await expect(oauth.processClientCredentialsResponse(as, client, bad)).rejects.toMatchObject({
      error: "invalid_scope",
      status: 400,
    });

    const revoked = await admin.api("POST", `/credentials/${credential.client_id}/revoke`, {
      confirm_label: credential.label,
    });
    expect(revoked.status).toBe(200);
    const after = await oauth.clientCredentialsGrantRequest(
      as,
      client,
      oauth.ClientSecretBasic(credential.client_secret),
      new URLSearchParams(),
      {
        [oauth.allowInsecureRequests]: true,
      },
    );
    // RFC 6749 section 5.2: a Basic client gets 401 with a WWW-Authenticate challenge, which the library surfaces.
    const failure = await oauth.processClientCredentialsResponse(as, client, after).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
    const challenge = failure as oauth.WWWAuthenticateChallengeError;
    expect(challenge.status).toBe(401);
    expect(challenge.cause[0]).toMatchObject({ scheme: "basic", parameters: { realm: "latchkey" } });
    expect(await challenge.response.json()).toEqual({
      error: "invalid_client",
      error_description: "Client authentication failed.",
    });
  });

  it("serves the JWKS with public members only and a bounded cache lifetime", async () => {
    const res = await fetch(`${url()}/.well-known/jwks.json`);
    expect(res.headers.get("cache-control")).toBe("public, max-age=600");
    const { keys } = (await res.json()) as { keys: Record<string, unknown>[] };
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(Object.keys(key).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x", "y"]);
      expect(key).toMatchObject({ use: "sig", alg: "ES256", kty: "EC" });
    }
  });
});
