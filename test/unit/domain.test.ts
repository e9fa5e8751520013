/**
 * The pure policy functions of src/domain with fixed inputs and a fixed clock: the RFC 6749 scope grammar,
 * RFC 8707 resource shape and grant selection, credential rules at their exact boundaries, token claims, the
 * authority rule, request sources and user-agent parsing. One file for the whole domain, so the "workers"
 * project has a fast suite that needs no bindings (past 200 lines for that reason; the crypto layer is in
 * crypto.test.ts).
 */
import { describe, expect, it } from "vitest";
import {
  checkGrants,
  credentialStatus,
  isLive,
  isNarrowing,
  isValidGroup,
  isValidLabel,
  writeScopesOf,
  type CatalogResource,
} from "../../src/domain/credential-rules";
import { assertAuthority, authorityShortfall, managementScopesOf } from "../../src/domain/authority";
import { scopesOfRole } from "../../src/domain/roles";
import { isValidResourceUri, isValidScopeName, parseScopeParam, selectGrant } from "../../src/domain/scopes";
import { MANAGEMENT_RESOURCE, MANAGEMENT_SCOPES } from "../../src/domain/management";
import { buildAccessTokenClaims } from "../../src/domain/token-claims";
import { requestSource } from "../../src/domain/request-source";
import { parseUserAgent } from "../../src/domain/user-agent";
import type { Grant } from "../../src/domain/grants";

const NOW = 1_800_000_000_000;
const A = "https://a.example.com";
const B = "https://b.example.com";

const GRANTS: Grant[] = [
  { resource: A, scopes: ["read", "write"] },
  { resource: B, scopes: ["list"] },
];
const CATALOG: CatalogResource[] = [
  {
    uri: A,
    scopes: [
      { name: "read", description: "Read", write: false },
      { name: "write", description: "Write", write: true },
    ],
  },
  {
    uri: B,
    scopes: [
      { name: "list", description: "List", write: false },
      { name: "delete", description: "Delete", write: true },
    ],
  },
];

describe("parseScopeParam (RFC 6749 section 3.3)", () => {
  it.each([
    ["read", ["read"]],
    ["read write", ["read", "write"]],
    ["write read write", ["write", "read"]],
    ["!#[]~ a:b/c", ["!#[]~", "a:b/c"]],
  ])("splits %j into %j", (input, expected) => {
    expect(parseScopeParam(input)).toEqual(expected);
  });

  it.each([
    ["empty", ""],
    ["a double space", "read  write"],
    ["a leading space", " read"],
    ["a trailing space", "read "],
    ["a tab", "read\twrite"],
    ["a double quote", 'say"hi'],
    ["a backslash", "a\\b"],
    ["non-ASCII", "café"],
    ["DEL", "read\x7f"],
  ])("refuses %s", (_name, input) => {
    expect(parseScopeParam(input)).toBeNull();
  });

  it("limits scope names to 128 grammar characters", () => {
    expect(isValidScopeName("x".repeat(128))).toBe(true);
    expect(isValidScopeName("x".repeat(129))).toBe(false);
    expect(isValidScopeName("a b")).toBe(false);
  });
});

describe("isValidResourceUri (RFC 8707 section 2)", () => {
  const long = (length: number) => `https://a.example/${"x".repeat(length - "https://a.example/".length)}`;

  it.each([
    ["https", "https://api.example.com/v1?x=1", true],
    ["upper-case scheme", "HTTPS://API.example.com", true],
    ["urn", "urn:example:resource", true],
    ["2048 characters", long(2048), true],
    ["2049 characters", long(2049), false],
    ["a fragment", "https://api.example.com/v1#part", false],
    ["an empty fragment", "https://api.example.com/#", false],
    ["a relative path", "/v1/things", false],
    ["a host without scheme", "api.example.com", false],
    ["leading whitespace (URL would trim it)", " https://api.example.com", false],
    ["empty", "", false],
  ])("%s -> %s", (_name, value, expected) => {
    expect(isValidResourceUri(value)).toBe(expected);
  });
});

describe("selectGrant", () => {
  it("defaults to the first grant and all its scopes, as a copy", () => {
    const selection = selectGrant(GRANTS, undefined, undefined);
    expect(selection).toEqual({ ok: true, resource: A, scopes: ["read", "write"] });
    if (selection.ok) expect(selection.scopes).not.toBe(GRANTS[0]!.scopes);
  });

  it("defaults to every scope of a named resource", () => {
    expect(selectGrant(GRANTS, B, undefined)).toEqual({ ok: true, resource: B, scopes: ["list"] });
  });

  it("narrows to the requested scopes", () => {
    expect(selectGrant(GRANTS, undefined, ["write"])).toEqual({ ok: true, resource: A, scopes: ["write"] });
    expect(selectGrant(GRANTS, A, ["read"])).toEqual({ ok: true, resource: A, scopes: ["read"] });
  });

  it("answers invalid_target for a resource not granted (exact match) or no grant at all", () => {
    expect(selectGrant(GRANTS, "https://c.example.com", undefined)).toEqual({ ok: false, error: "invalid_target" });
    expect(selectGrant(GRANTS, `${A}/`, ["read"])).toEqual({ ok: false, error: "invalid_target" });
    expect(selectGrant([], undefined, undefined)).toEqual({ ok: false, error: "invalid_target" });
  });

  it("answers invalid_scope for any scope not granted on that resource, never dropping it", () => {
    expect(selectGrant(GRANTS, undefined, ["read", "admin"])).toEqual({ ok: false, error: "invalid_scope" });
    expect(selectGrant(GRANTS, B, ["read"])).toEqual({ ok: false, error: "invalid_scope" });
  });
});

describe("labels and groups", () => {
  it.each([
    ["deploy-bot", true],
    ["Déploiement nocturne 🚀", true],
    ["x".repeat(64), true],
    ["x".repeat(65), false],
    ["", false],
    [" bot", false],
    ["bot ", false],
    ["a\nb", false],
    ["a\u0000b", false],
    ["a\u007fb", false],
  ])("label %j -> %s", (label, expected) => {
    expect(isValidLabel(label)).toBe(expected);
  });

  it.each([
    ["platform", true],
    ["équipe-données", true],
    ["g".repeat(64), true],
    ["g".repeat(65), false],
    ["", false],
    ["two words", false],
    ["a\tb", false],
    ["a\u00a0b", false],
    ["a\u0001b", false],
  ])("group %j -> %s", (group, expected) => {
    expect(isValidGroup(group)).toBe(expected);
  });
});

describe("checkGrants", () => {
  it("accepts grants within the catalog, and no grants", () => {
    expect(checkGrants(GRANTS, CATALOG)).toBeNull();
    expect(checkGrants([], CATALOG)).toBeNull();
  });

  it.each([
    [
      [{ resource: "https://c.example.com", scopes: [] }],
      "A grant names a resource that does not exist in this tenant.",
    ],
    [
      [
        { resource: A, scopes: ["read"] },
        { resource: A, scopes: ["write"] },
      ],
      "A resource appears in more than one grant.",
    ],
    [[{ resource: A, scopes: ["list"] }], "A grant names a scope its resource does not define."],
    [[{ resource: A, scopes: ["read", "read"] }], "A grant repeats a scope."],
  ])("refuses %j", (grants, problem) => {
    expect(checkGrants(grants, CATALOG)).toBe(problem);
  });
});

describe("isNarrowing", () => {
  it.each([
    ["the same grants", GRANTS, true],
    ["fewer scopes", [{ resource: A, scopes: ["read"] }], true],
    ["an empty scope list", [{ resource: A, scopes: [] }], true],
    ["no grants", [], true],
    ["an added scope", [{ resource: A, scopes: ["read", "admin"] }], false],
    ["a scope moved to another resource", [{ resource: B, scopes: ["read"] }], false],
    ["an added resource", [{ resource: "https://c.example.com", scopes: ["read"] }], false],
  ])("%s -> %s", (_name, next, expected) => {
    expect(isNarrowing(GRANTS, next)).toBe(expected);
  });
});

describe("writeScopesOf", () => {
  it("lists write scopes by their resource's definition", () => {
    expect(
      writeScopesOf(
        [
          { resource: A, scopes: ["read", "write"] },
          { resource: B, scopes: ["list", "delete"] },
        ],
        CATALOG,
      ),
    ).toEqual(["write", "delete"]);
    expect(
      writeScopesOf(
        [
          { resource: A, scopes: ["read"] },
          { resource: B, scopes: ["list"] },
        ],
        CATALOG,
      ),
    ).toEqual([]);
    expect(writeScopesOf([{ resource: B, scopes: ["write"] }], CATALOG)).toEqual([]);
  });
});

describe("credentialStatus and isLive at the boundary", () => {
  it.each([
    [{ status: "active", expiresAt: null }, "active"],
    [{ status: "active", expiresAt: NOW + 1 }, "active"],
    [{ status: "active", expiresAt: NOW }, "expired"],
    [{ status: "active", expiresAt: NOW - 1 }, "expired"],
    [{ status: "revoked", expiresAt: null }, "revoked"],
    [{ status: "revoked", expiresAt: NOW - 1 }, "revoked"],
  ])("%j -> %s", (credential, expected) => {
    expect(credentialStatus(credential, NOW)).toBe(expected);
  });

  it.each([
    [{ retiredAt: null, expiresAt: null }, true],
    [{ retiredAt: null, expiresAt: NOW + 1 }, true],
    [{ retiredAt: null, expiresAt: NOW }, false],
    [{ retiredAt: NOW + 60_000, expiresAt: null }, false],
    [{ retiredAt: 0, expiresAt: null }, false],
  ])("isLive %j -> %s", (secret, expected) => {
    expect(isLive(secret, NOW)).toBe(expected);
  });
});

describe("buildAccessTokenClaims", () => {
  it("builds the exact RFC 9068 claim set from a fixed clock (iat floors the milliseconds)", () => {
    const claims = buildAccessTokenClaims({
      issuer: "https://latchkey.test",
      clientId: "lkc_AAAAAAAAAAAAAAAAAAAAAA",
      label: "deploy-bot",
      tenantId: "tnt_1",
      groups: ["platform"],
      resource: A,
      scopes: ["read", "write"],
      lifetimeSeconds: 300,
      jti: "jti-1",
      authenticatorId: "sec_1",
      nowMs: NOW + 999,
    });
    expect(claims).toStrictEqual({
      iss: "https://latchkey.test",
      sub: "lkc_AAAAAAAAAAAAAAAAAAAAAA",
      aud: A,
      client_id: "lkc_AAAAAAAAAAAAAAAAAAAAAA",
      scope: "read write",
      iat: 1_800_000_000,
      exp: 1_800_000_300,
      jti: "jti-1",
      svc: "svc:deploy-bot",
      tenant: "tnt_1",
      groups: ["platform"],
    });
  });

  it("names the authenticator in management tokens only", () => {
    const input = {
      issuer: "https://latchkey.test",
      clientId: "lkc_A",
      label: "a",
      tenantId: "t",
      groups: [],
      scopes: ["x"],
      lifetimeSeconds: 60,
      jti: "j",
      authenticatorId: "sec_1",
      nowMs: NOW,
    };
    expect(buildAccessTokenClaims({ ...input, resource: MANAGEMENT_RESOURCE }).authenticator).toBe("sec_1");
    expect("authenticator" in buildAccessTokenClaims({ ...input, resource: A })).toBe(false);
  });
});

/** Every single-character substitution of `value` from `from` on (to another alphabet character). */
describe("the authority rule", () => {
  const grants: Grant[] = [
    { resource: A, scopes: ["read", "write"] },
    { resource: MANAGEMENT_RESOURCE, scopes: ["resources:write", "credentials:write"] },
  ];

  it("counts only management scopes: tenant API scopes are never a shortfall", () => {
    expect(managementScopesOf(grants)).toEqual(["credentials:write", "resources:write"]);
    expect(authorityShortfall(new Set(["credentials:write"]), grants)).toEqual(["resources:write"]);
    expect(authorityShortfall(new Set(["credentials:write", "resources:write"]), grants)).toEqual([]);
    expect(authorityShortfall(new Set(), [{ resource: A, scopes: ["write"] }])).toEqual([]);
  });

  it("throws 403 forbidden naming the missing scopes, or nothing when the caller holds them all", () => {
    expect(() => assertAuthority(new Set(["credentials:write", "resources:write"]), grants, "grant")).not.toThrow();
    expect(() => assertAuthority(new Set(["credentials:write"]), grants, "actFor")).toThrow(
      expect.objectContaining({ status: 403, code: "forbidden", extra: { missing_scopes: ["resources:write"] } }),
    );
  });

  it("gives every role that can write credentials every management scope, so people never hit a shortfall", () => {
    const everything = [{ resource: MANAGEMENT_RESOURCE, scopes: MANAGEMENT_SCOPES.map((s) => s.name) }];
    for (const role of ["owner", "admin", "viewer"] as const) {
      const held = new Set(scopesOfRole(role));
      if (held.has("credentials:write")) expect(authorityShortfall(held, everything)).toEqual([]);
    }
  });
});

describe("requestSource", () => {
  it("is the IPv4 address, the IPv6 /64 in any spelling, IPv4-mapped as IPv4, and one 'other' for junk", () => {
    expect(requestSource("203.0.113.7")).toBe("4:203.0.113.7");
    expect(requestSource("::ffff:203.0.113.7")).toBe("4:203.0.113.7");
    expect(requestSource("::ffff:cb00:7107")).toBe("4:203.0.113.7");
    const slash64 = "6:2001:db8:0:7";
    for (const ip of [
      "2001:db8::7:0:0:0:1",
      "2001:DB8:0:7::ffff",
      "2001:0db8:0000:0007:1:2:3:4",
      "[2001:db8:0:7::1]",
      "2001:db8:0:7::1%eth0",
    ]) {
      expect(requestSource(ip), ip).toBe(slash64);
    }
    expect(requestSource("2001:db8:0:8::1")).not.toBe(slash64);
    expect(requestSource("::1")).toBe("6:0:0:0:0");
    for (const junk of [
      undefined,
      "",
      "unknown",
      "256.1.1.1",
      "1:2:3",
      "1::2::3",
      "2001:db8:0:7:1:2:3:4:5",
      "gggg::1",
    ]) {
      expect(requestSource(junk), String(junk)).toBe("other");
    }
  });
});

describe("parseUserAgent", () => {
  it.each([
    [
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
      "Linux",
      "Chrome 126",
    ],
    [
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.56",
      "Windows",
      "Edge 126",
    ],
    [
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
      "macOS",
      "Safari 17",
    ],
    ["Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:127.0) Gecko/20100101 Firefox/127.0", "macOS", "Firefox 127"],
    [
      "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1",
      "iOS",
      "Chrome 126",
    ],
    [
      "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/127.0 Mobile/15E148 Safari/605.1.15",
      "iOS",
      "Firefox 127",
    ],
    [
      "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
      "Android",
      "Chrome 126",
    ],
    [
      "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
      "ChromeOS",
      "Chrome 126",
    ],
    [
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 OPR/111.0.0.0",
      "Windows",
      "Opera 111",
    ],
    ["curl/8.7.1", "Unknown", "curl 8"],
    ["node", "Unknown", "Node.js"],
    ["node-fetch/3", "Unknown", "Node.js 3"],
    ["latchkey-cli/0.1.0 (Linux x86_64)", "Linux", "latchkey-cli"],
  ])("reads %s", (ua, device, client) => {
    expect(parseUserAgent(ua)).toEqual({ device, client });
  });

  it("answers Unknown for no header, and at most 40 characters of an unrecognised client's first word", () => {
    expect(parseUserAgent(null)).toEqual({ device: "Unknown", client: "Unknown" });
    expect(parseUserAgent("")).toEqual({ device: "Unknown", client: "Unknown" });
    expect(parseUserAgent(`${"x".repeat(60)} y`)).toEqual({ device: "Unknown", client: "x".repeat(40) });
    expect(parseUserAgent("/leading-slash")).toEqual({ device: "Unknown", client: "Unknown" });
  });
});
