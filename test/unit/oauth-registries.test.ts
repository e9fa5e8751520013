/**
 * The shape of the oauth registries: every grant declares its grant_type, the parameters it reads, the client
 * authentication methods it accepts (all registered) and a handler; every client authentication method is
 * registered under its own name, and only token exchange accepts a subject token alone; RFC 8414 metadata lists
 * the grants and the confidential clients' methods.
 */
import { describe, expect, it } from "vitest";
import { CLIENT_AUTH_METHOD_NAMES, CLIENT_AUTH_METHODS } from "../../src/oauth/client-auth";
import { GRANT_TYPES, grantFor } from "../../src/oauth/grants";
import { authorizationServerMetadata } from "../../src/routes/well-known";

describe("grant registry", () => {
  it("holds grants of one shape, each under its own grant_type", () => {
    expect(GRANT_TYPES).toEqual([
      "client_credentials",
      "urn:ietf:params:oauth:grant-type:token-exchange",
      "urn:ietf:params:oauth:grant-type:device_code",
      "refresh_token",
    ]);
    for (const grantType of GRANT_TYPES) {
      const grant = grantFor(grantType);
      expect(grant?.grantType).toBe(grantType);
      expect(grant?.parameters.length).toBeGreaterThan(0);
      for (const name of grant?.parameters ?? []) expect(name).toMatch(/^[a-z_]+$/);
      const registered = Object.keys(CLIENT_AUTH_METHODS);
      expect(grant?.parameters).not.toContain("grant_type");
      if (grant && !grant.public) {
        expect(grant.clientAuth.length).toBeGreaterThan(0);
        for (const method of grant.clientAuth) expect(registered).toContain(method);
      }
      expect(typeof grant?.handler).toBe("function");
    }
  });

  it("answers no grant for unknown types, prototype member names included", () => {
    for (const grantType of ["password", "constructor", "__proto__", "toString", "hasOwnProperty", ""]) {
      expect(grantFor(grantType)).toBeUndefined();
    }
  });
});

describe("client authentication registry", () => {
  it("registers every method under its own name; subject_token is no confidential method", () => {
    expect(CLIENT_AUTH_METHOD_NAMES).toEqual(["client_secret_basic", "client_secret_post", "private_key_jwt"]);
    const all = Object.keys(CLIENT_AUTH_METHODS) as (keyof typeof CLIENT_AUTH_METHODS)[];
    expect(all).toEqual([...CLIENT_AUTH_METHOD_NAMES, "subject_token"]);
    for (const name of all) expect(CLIENT_AUTH_METHODS[name].name).toBe(name);
    const accepted = (grantType: string) => {
      const grant = grantFor(grantType);
      return grant && !grant.public ? grant.clientAuth : [];
    };
    expect(accepted("client_credentials")).not.toContain("subject_token");
    expect(accepted("urn:ietf:params:oauth:grant-type:token-exchange")).toEqual(["subject_token"]);
  });
});

describe("authorization server metadata", () => {
  it("lists the registered grant types and client authentication methods", () => {
    const metadata = authorizationServerMetadata("https://latchkey.test");
    expect(metadata.grant_types_supported).toEqual([...GRANT_TYPES]);
    expect(metadata.token_endpoint_auth_methods_supported).toEqual([...CLIENT_AUTH_METHOD_NAMES, "none"]);
  });
});
