/**
 * The shape of the oauth registries: every grant declares its grant_type, the parameters it reads, the client
 * authentication methods it accepts (all registered) and a handler; every client authentication method is
 * registered under its own name; RFC 8414 metadata lists exactly what the registries hold.
 */
import { describe, expect, it } from "vitest";
import { CLIENT_AUTH_METHOD_NAMES, CLIENT_AUTH_METHODS } from "../../src/oauth/client-auth";
import { GRANT_TYPES, grantFor } from "../../src/oauth/grants";
import { authorizationServerMetadata } from "../../src/routes/well-known";

describe("grant registry", () => {
  it("holds grants of one shape, each under its own grant_type", () => {
    expect(GRANT_TYPES).toEqual([
      "client_credentials",
      "urn:ietf:params:oauth:grant-type:device_code",
      "refresh_token",
    ]);
    for (const grantType of GRANT_TYPES) {
      const grant = grantFor(grantType);
      expect(grant?.grantType).toBe(grantType);
      expect(grant?.parameters.length).toBeGreaterThan(0);
      for (const name of grant?.parameters ?? []) expect(name).toMatch(/^[a-z_]+$/);
      expect(grant?.parameters).not.toContain("grant_type");
      if (grant && !grant.public) {
        expect(grant.clientAuth.length).toBeGreaterThan(0);
        for (const method of grant.clientAuth) expect(CLIENT_AUTH_METHOD_NAMES).toContain(method);
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
  it("registers every method under its own name", () => {
    expect(CLIENT_AUTH_METHOD_NAMES).toEqual(["client_secret_basic", "client_secret_post", "private_key_jwt"]);
    for (const name of CLIENT_AUTH_METHOD_NAMES) expect(CLIENT_AUTH_METHODS[name].name).toBe(name);
  });
});

describe("authorization server metadata", () => {
  it("lists the registered grant types and client authentication methods", () => {
    const metadata = authorizationServerMetadata("https://latchkey.test");
    expect(metadata.grant_types_supported).toEqual([...GRANT_TYPES]);
    expect(metadata.token_endpoint_auth_methods_supported).toEqual([...CLIENT_AUTH_METHOD_NAMES, "none"]);
  });
});
