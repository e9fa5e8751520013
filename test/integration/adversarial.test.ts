/**
 * The adversarial battery: malformed and hostile input at every public and admin endpoint, asserting the
 * exact error kind (status plus `error` or `code`), that nothing is ever a 500, that nothing the caller sent
 * comes back in an error, and that a refused write leaves nothing behind (no row, no audit event).
 * Tenants, memberships and switching get the same treatment, plus races (Promise.all) whose outcome may go
 * either way but must leave one consistent state with exactly the audit events of what happened. Long on
 * purpose: one battery over every surface, sharing its wire rules and fixtures, read one describe at a time.
 */
import { decodeJwt, SignJWT } from "jose";
import { createExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { app } from "../../src/app";
import type { Env } from "../../src/config";
import { newSetupCode } from "../../src/crypto/secrets";
import { scopesOfRole } from "../../src/domain/roles";
import { switchTenant } from "../../src/services/memberships";
import { changeRole, removeMember } from "../../src/services/members";
import { signUpTenant } from "../../src/services/tenant-creation";
import { getUserById } from "../../src/storage/people";
import { getSession } from "../../src/storage/sessions";
import {
  call,
  env,
  freshIp,
  ISSUER,
  setupTenant,
  testContext,
  tokenRequest,
  type TestTenant,
} from "../support/harness";
import {
  BROWSER_UA,
  COOKIE,
  createOwner,
  PASSWORD,
  person,
  postJson,
  sessionCookieOf,
  tokenOf,
  type Person,
} from "../support/console";
import { JWT_BEARER, newClientKey, redeem, signAssertion, uniqueIp } from "../support/client-keys";
import * as wire from "../support/wire";
import type { Json } from "../support/wire";

const API = "https://api.example.com/adversarial";
const MARKER = "zz<script>alert(1)</script>zz";
const KiB = 1024;

let t: TestTenant;
let client: { id: string; secret: string; label: string };
let owner: Person;

/** The wire shapes, plus the battery's own rule: nothing the caller sent (the marker) comes back. */
const expectOAuth = (res: Response, status: number, error: string, opts: wire.OAuthErrorExpectations = {}) =>
  wire.expectOAuthError(res, status, error, { ...opts, forbid: "zz<" });
const expectProblem = (res: Response, status: number, code: string, opts: wire.ProblemExpectations = {}) =>
  wire.expectProblem(res, status, code, { ...opts, forbid: "zz<" });

/** A body stream of `size` bytes of `fill`, sent without a Content-Length. */
function stream(size: number, fill = "a"): ReadableStream<Uint8Array> {
  const chunk = new TextEncoder().encode(fill.repeat(16 * KiB));
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= size) return controller.close();
      const n = Math.min(chunk.byteLength, size - sent);
      controller.enqueue(chunk.slice(0, n));
      sent += n;
    },
  });
}

const rawToken = (body: BodyInit | null, headers: Record<string, string> = {}, method = "POST", query = "") =>
  call(`/oauth/token${query}`, { method, headers, body, ip: freshIp() });
const FORM = { "content-type": "application/x-www-form-urlencoded" };

const bearer = (extra: Record<string, string> = {}) => ({ authorization: `Bearer ${t.adminToken}`, ...extra });
const adminRaw = (method: string, path: string, body?: BodyInit | null, headers: Record<string, string> = {}) =>
  call(`/api/v1${path}`, { method, headers: bearer(headers), body });

async function auditCount(): Promise<number> {
  const res = await t.admin("GET", "/audit?limit=500");
  expect(res.status).toBe(200);
  return ((await res.json()) as { events: unknown[] }).events.length;
}

beforeAll(async () => {
  t = await setupTenant("default");
  const res = await t.admin("POST", "/resources", {
    uri: API,
    name: "Adversarial",
    scopes: [{ name: "things:read" }, { name: "things:write", write: true }],
  });
  expect(res.status).toBe(201);
  const created = await t.admin("POST", "/credentials", {
    label: "adv-client",
    grants: [{ resource: API, scopes: ["things:read"] }],
  });
  expect(created.status).toBe(201);
  const json = (await created.json()) as Json;
  client = { id: json.client_id, secret: json.client_secret, label: json.label };
  owner = await createOwner("adv-owner@example.com", "Ada Owner");
});

describe("token endpoint: methods and content types", () => {
  it("answers every method but POST with 405 invalid_request and Allow: POST", async () => {
    for (const method of ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"]) {
      const res = await rawToken(null, {}, method);
      expect(res.headers.get("allow"), method).toBe("POST");
      await expectOAuth(res, 405, "invalid_request");
    }
    const head = await rawToken(null, {}, "HEAD");
    expect(head.status).toBe(405);
    expect(head.headers.get("allow")).toBe("POST");
    expect(await head.text()).toBe("");
  });

  it("refuses every body that is not form-urlencoded", async () => {
    const body = `grant_type=client_credentials&client_id=${client.id}&client_secret=${client.secret}`;
    for (const type of [
      undefined,
      "",
      "application/json",
      "text/plain",
      "multipart/form-data; boundary=x",
      "application/x-www-form-urlencodedx",
      "application/x-www-form-urlencoded-evil",
      "x-www-form-urlencoded",
      ";application/x-www-form-urlencoded",
    ]) {
      const res = await rawToken(body, type === undefined ? {} : { "content-type": type });
      await expectOAuth(res, 400, "invalid_request");
    }
    const json = await rawToken(
      JSON.stringify({ grant_type: "client_credentials", client_id: client.id, client_secret: client.secret }),
      { "content-type": "application/json" },
    );
    await expectOAuth(json, 400, "invalid_request");
  });

  it("accepts the form type in any case and with any charset parameter, always decoding UTF-8", async () => {
    const body = `grant_type=client_credentials&client_id=${client.id}&client_secret=${client.secret}`;
    for (const type of [
      "APPLICATION/X-WWW-FORM-URLENCODED",
      "application/x-www-form-urlencoded; charset=UTF-8",
      "application/x-www-form-urlencoded;charset=utf-8",
      'application/x-www-form-urlencoded; charset="utf-8"',
      "application/x-www-form-urlencoded; charset=ISO-8859-1",
      " application/x-www-form-urlencoded ; foo=bar",
    ]) {
      const res = await rawToken(body, { "content-type": type });
      expect(res.status, type).toBe(200);
    }
    const latin1 = new Uint8Array([
      ...new TextEncoder().encode(`grant_type=client_credentials&client_id=${client.id}&client_secret=`),
      0xe9,
    ]);
    await expectOAuth(
      await rawToken(latin1, { "content-type": "application/x-www-form-urlencoded; charset=ISO-8859-1" }),
      400,
      "invalid_request",
    );
  });

  it("refuses a body that is not UTF-8, and survives percent-encoding garbage", async () => {
    const bad = new Uint8Array([
      ...new TextEncoder().encode("grant_type=client_credentials&client_id="),
      0xff,
      0xfe,
      0xc3,
      0x28,
    ]);
    await expectOAuth(await rawToken(bad, FORM), 400, "invalid_request");
    for (const body of [
      "grant_type=%ZZ",
      "grant_type=client_credentials&client_id=%E0%A4%A&client_secret=%",
      "%%%%=%%%%",
      "grant_type=client_credentials&%00=%00",
      "grant_type=client%00_credentials",
      "&&&&&&",
      "=",
      "grant_type",
      `grant_type=client_credentials&client_id=${MARKER}&client_secret=${MARKER}`,
      "grant_type=client_credentials&client_id=%F0%9F%92%A9&client_secret=%ED%A0%80",
    ]) {
      const res = await rawToken(body, FORM);
      expect(res.status, body).toBeGreaterThanOrEqual(400);
      expect(res.status, body).toBeLessThan(500);
      await expectOAuth(res, res.status, ((await res.clone().json()) as Json).error);
    }
    await expectOAuth(await rawToken("grant_type=%ZZ", FORM), 401, "invalid_client");
  });

  it("caps the body at 8 KiB with and without Content-Length, before parsing", async () => {
    const pad = `grant_type=client_credentials&pad=${"a".repeat(9 * KiB)}`;
    await expectOAuth(await rawToken(pad, FORM), 400, "invalid_request");
    await expectOAuth(await rawToken(stream(1024 * KiB), FORM), 400, "invalid_request");
    await expectOAuth(await rawToken(stream(9 * KiB), FORM), 400, "invalid_request");
    const big = await rawToken(`grant_type=client_credentials&scope=${"x".repeat(8 * KiB - 40)}`, FORM);
    expect(big.status).toBe(401);
  });

  it("refuses repeated parameters and treats empty values as omitted", async () => {
    for (const body of [
      "grant_type=client_credentials&grant_type=client_credentials",
      `grant_type=client_credentials&client_id=${client.id}&client_id=${client.id}&client_secret=${client.secret}`,
      `grant_type=client_credentials&scope=a&scope=b&client_id=${client.id}&client_secret=${client.secret}`,
      "grant_type=client_credentials&grant_type=",
      "resource=a&resource=a&grant_type=client_credentials",
    ]) {
      await expectOAuth(await rawToken(body, FORM), 400, "invalid_request");
    }
    await expectOAuth(
      await tokenRequest({ grant_type: "", client_id: client.id, client_secret: client.secret }, { ip: freshIp() }),
      400,
      "invalid_request",
    );
    await expectOAuth(
      await tokenRequest({ grant_type: "client_credentials", client_id: "", client_secret: "" }, { ip: freshIp() }),
      401,
      "invalid_client",
      { basicChallenge: false },
    );
    const ok = await tokenRequest(
      { grant_type: "client_credentials", client_id: client.id, client_secret: client.secret, scope: "", resource: "" },
      { ip: freshIp() },
    );
    expect(ok.status).toBe(200);
  });

  it("gives grant_type errors their exact kinds", async () => {
    const auth = { client_id: client.id, client_secret: client.secret };
    for (const grant_type of [
      "password",
      "authorization_code",
      "CLIENT_CREDENTIALS",
      "client_credentials ",
      MARKER,
      "urn:ietf:params:oauth:grant-type:jwt-bearer",
    ]) {
      await expectOAuth(await tokenRequest({ grant_type, ...auth }, { ip: freshIp() }), 400, "unsupported_grant_type");
    }
    await expectOAuth(await tokenRequest(auth, { ip: freshIp() }), 400, "invalid_request");
    // refresh_token is a public-client grant (the latchkey CLI's device sessions): a credential's secret is refused.
    const refresh = await tokenRequest({ grant_type: "refresh_token", ...auth }, { ip: freshIp() });
    await expectOAuth(refresh, 401, "invalid_client");
  });
});

describe("token endpoint: client authentication abuse", () => {
  it("treats every malformed Basic header as invalid_client with the Basic challenge", async () => {
    const good = btoa(`${client.id}:${client.secret}`);
    for (const authorization of [
      "Basic",
      "Basic ",
      "Basic ===",
      "Basic =",
      `Basic ${good}====`,
      "Basic abcde",
      "Basic !!!!",
      `Basic\t${good}`,
      `Basic ${btoa("no-colon-here")}`,
      `Basic ${btoa(":")}`,
      `Basic ${btoa(`${client.id}:`)}`,
      `Basic ${btoa(`:${client.secret}`)}`,
      `Basic ${btoa("%ZZ:%ZZ")}`,
      `Basic ${btoa("\xff\xfe:\xff")}`,
      `Basic ${btoa(`${client.id}:${client.secret}x`)}`,
      `Basic ${btoa(`${client.id}\u0000:${client.secret}`)}`,
      `Basic ${btoa(`${MARKER}:${MARKER}`)}`,
      `Basic ${good} extra`,
      `Basic ${"QUFB".repeat(2000)}`,
      "Basic \xe9\xe9\xe9\xe9",
      "BASIC",
    ]) {
      const res = await tokenRequest(
        { grant_type: "client_credentials" },
        { headers: { authorization }, ip: freshIp() },
      );
      expect(res.status, authorization.slice(0, 80)).toBe(401);
      await expectOAuth(res, 401, "invalid_client", { basicChallenge: true });
    }
  });

  it("tolerates the harmless Basic variants: case, extra spaces, trailing space, body client_id equal to Basic", async () => {
    const good = btoa(`${client.id}:${client.secret}`);
    // Unpadded base64 decodes the same (forgiving base64), so it is the same credentials, not a malformed header.
    for (const authorization of [
      `BASIC ${good}`,
      `Basic   ${good}`,
      `Basic ${good}  `,
      `Basic ${good.replace(/=+$/, "")}`,
    ]) {
      const res = await tokenRequest(
        { grant_type: "client_credentials" },
        { headers: { authorization }, ip: freshIp() },
      );
      expect(res.status, authorization.slice(0, 10)).toBe(200);
    }
  });

  it("answers other Authorization schemes as no credentials (invalid_client, no challenge)", async () => {
    for (const authorization of ["Bearer abc", "Digest username=x", "Basicabc", MARKER, "x".repeat(16 * KiB)]) {
      const res = await tokenRequest(
        { grant_type: "client_credentials" },
        { headers: { authorization }, ip: freshIp() },
      );
      await expectOAuth(res, 401, "invalid_client", { basicChallenge: false });
    }
  });

  it("refuses credentials in the query string, even alongside valid body credentials", async () => {
    for (const query of [
      `?client_id=${client.id}`,
      `?client_secret=${client.secret}`,
      "?client_assertion=x",
      "?client_assertion_type=x",
      "?client_id=&x=1",
    ]) {
      const res = await rawToken(
        `grant_type=client_credentials&client_id=${client.id}&client_secret=${client.secret}`,
        FORM,
        "POST",
        query,
      );
      await expectOAuth(res, 400, "invalid_request");
    }
    const other = await rawToken(
      `grant_type=client_credentials&client_id=${client.id}&client_secret=${client.secret}`,
      FORM,
      "POST",
      "?foo=%ZZ&grant_type=password",
    );
    expect(other.status).toBe(200);
  });

  it("refuses two authentication methods together", async () => {
    const res = await tokenRequest(
      { grant_type: "client_credentials", client_secret: client.secret },
      { basic: [client.id, client.secret], ip: freshIp() },
    );
    await expectOAuth(res, 400, "invalid_request");
    const both = await tokenRequest(
      {
        grant_type: "client_credentials",
        client_id: client.id,
        client_secret: client.secret,
        client_assertion: "a.b.c",
        client_assertion_type: JWT_BEARER,
      },
      { ip: freshIp() },
    );
    await expectOAuth(both, 400, "invalid_request");
  });

  it("fails unknown client and wrong secret identically", async () => {
    const wrong = await tokenRequest(
      { grant_type: "client_credentials", client_id: client.id, client_secret: `lks_${"A".repeat(49)}` },
      { ip: freshIp() },
    );
    const unknown = await tokenRequest(
      { grant_type: "client_credentials", client_id: `lkc_${"A".repeat(22)}`, client_secret: client.secret },
      { ip: freshIp() },
    );
    expect(await expectOAuth(wrong, 401, "invalid_client")).toEqual(await expectOAuth(unknown, 401, "invalid_client"));
  });

  it("answers junk client assertions with invalid_client", async () => {
    const key = await newClientKey();
    const b64 = (v: unknown) => btoa(JSON.stringify(v)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: client.id, sub: client.id, aud: ISSUER, exp: now + 60, jti: crypto.randomUUID() };
    const none = `${b64({ alg: "none" })}.${b64(claims)}.`;
    const nested = await new SignJWT({})
      .setProtectedHeader({ alg: "ES256", cty: "JWT", kid: key.thumbprint })
      .sign(key.privateKey);
    const hs256 = await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256" })
      .sign(new TextEncoder().encode("k".repeat(32)));
    for (const assertion of [
      "a.b.c",
      "....",
      "x",
      none,
      `${b64({ alg: "none" })}.${b64(claims)}`,
      `${b64({ alg: "ES256", kid: "x".repeat(4000) })}.${b64(claims)}.AAAA`,
      `${b64({ alg: "ES256" })}.${b64({ ...claims, iss: 42 })}.AAAA`,
      `${b64({ alg: "ES256" })}.${b64({ ...claims, iss: ["a"] })}.AAAA`,
      `${b64({ alg: "ES256" })}.${b64("just a string")}.AAAA`,
      `${b64(null)}.${b64(null)}.AAAA`,
      `${b64({ alg: "ES256", crit: ["b64"], b64: false })}.${b64(claims)}.AAAA`,
      `${b64({ alg: "ES256", jku: "https://evil.example/jwks", kid: key.thumbprint })}.${b64(claims)}.AAAA`,
      `${b64({ alg: "ES256", jwk: key.publicJwk })}.${b64(claims)}.AAAA`,
      `${nested}.${nested}`,
      hs256,
      await signAssertion(key, client.id),
      MARKER,
      "a".repeat(7 * KiB),
    ]) {
      const res = await tokenRequest(
        { grant_type: "client_credentials", client_assertion_type: JWT_BEARER, client_assertion: assertion },
        { ip: freshIp() },
      );
      await expectOAuth(res, 401, "invalid_client", { basicChallenge: false });
    }
    for (const type of ["urn:ietf:params:oauth:client-assertion-type:saml2-bearer", MARKER]) {
      const res = await tokenRequest(
        { grant_type: "client_credentials", client_assertion_type: type, client_assertion: "a.b.c" },
        { ip: freshIp() },
      );
      await expectOAuth(res, 401, "invalid_client");
    }
    await expectOAuth(
      await tokenRequest({ grant_type: "client_credentials", client_assertion_type: JWT_BEARER }, { ip: freshIp() }),
      401,
      "invalid_client",
    );
  });

  it("answers hostile scope and resource values with invalid_scope and invalid_target", async () => {
    const mint = (extra: Record<string, string>) =>
      tokenRequest(
        { grant_type: "client_credentials", ...extra },
        { basic: [client.id, client.secret], ip: freshIp() },
      );
    for (const scope of [
      "things:read  things:read",
      " things:read",
      "things:read\tthings:read",
      "\u00e9",
      '"',
      "\\",
      MARKER,
      "things:write",
      "x".repeat(7 * KiB),
    ]) {
      await expectOAuth(await mint({ scope }), 400, "invalid_scope");
    }
    for (const resource of [
      "not a uri",
      "/relative",
      `${API}#frag`,
      "http://[::1",
      "https://api.example.com/other",
      MARKER,
      "javascript:alert(1)",
      `${API}/`,
    ]) {
      await expectOAuth(await mint({ resource }), 400, "invalid_target");
    }
    await expectOAuth(await mint({ resource: API, audience: "https://other.example" }), 400, "invalid_target");
    const ok = await mint({ resource: API, audience: API, scope: "things:read" });
    expect(ok.status).toBe(200);
  });
});

describe("/setup/redeem", () => {
  it("answers non-JSON, arrays, nulls and wrong types with 400 invalid_request, another media type 415", async () => {
    for (const body of [
      "",
      "not json",
      "{",
      "[]",
      "null",
      "42",
      '"string"',
      "true",
      '{"code": null, "mode": "secret"}',
      '{"code": 1, "mode": "secret"}',
      '{"code": "x", "mode": ["secret"]}',
      '{"code": "x"}',
      `{"code": "x", "mode": "secret", "${MARKER}": 1}`,
      '{"code":"x","mode":"secret","__proto__":{"admin":true}}',
    ]) {
      await expectProblem(await redeem(body), 400, "invalid_request");
    }
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "application/jsonx"]) {
      const res = await call("/setup/redeem", {
        method: "POST",
        headers: { "content-type": type },
        body: JSON.stringify({ code: await newSetupCode(), mode: "secret" }),
        ip: uniqueIp(),
      });
      await expectProblem(res, 415, "unsupported_media_type");
    }
  });

  it("answers a well-formed body with a bad code with invalid_setup_code", async () => {
    const good = await newSetupCode();
    const flipped = good.slice(0, -1) + (good.endsWith("A") ? "B" : "A");
    for (const code of [good, flipped, "lksc_", "", MARKER, `lksc_${"\u00e9".repeat(27)}`, good.toUpperCase()]) {
      await expectProblem(await redeem({ code, mode: "secret" }), 400, "invalid_setup_code");
    }
  });

  it("refuses private JWK members, odd keys and bad hostnames with 400 invalid_request", async () => {
    const key = await newClientKey();
    const code = await newSetupCode();
    for (const public_jwk of [
      { ...key.publicJwk, d: "A".repeat(43) },
      { ...key.publicJwk, k: "secret" },
      { ...key.publicJwk, x5u: "https://evil.example" },
      { ...key.publicJwk, kty: "RSA" },
      { ...key.publicJwk, crv: "P-384" },
      { ...key.publicJwk, x: "A".repeat(43) },
      { ...key.publicJwk, alg: "none" },
      { kty: "oct", k: "AAAA" },
      null,
      [],
      "jwk",
    ]) {
      await expectProblem(await redeem({ code, mode: "key", public_jwk }), 400, "invalid_request");
    }
    await expectProblem(await redeem({ code, mode: "secret", public_jwk: key.publicJwk }), 400, "invalid_request");
    await expectProblem(await redeem({ code, mode: "key" }), 400, "invalid_request");
    for (const hostname of ["", "a\nb", "a\u0000b", "h".repeat(256), 42, null]) {
      await expectProblem(await redeem({ code, mode: "secret", hostname }), 400, "invalid_request");
    }
  });

  it("caps the body with and without Content-Length (413 payload_too_large)", async () => {
    const huge = JSON.stringify({ code: await newSetupCode(), mode: "secret", hostname: "h".repeat(64 * KiB) });
    await expectProblem(await redeem(huge), 413, "payload_too_large");
    const res = await call("/setup/redeem", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: stream(2048 * KiB, " "),
      ip: uniqueIp(),
    });
    await expectProblem(res, 413, "payload_too_large");
  });

  it("answers GET with 404 (POST only) and never a 500", async () => {
    for (const method of ["GET", "PUT", "DELETE"]) {
      const res = await call("/setup/redeem", { method, ip: uniqueIp() });
      expect(res.status).toBeLessThan(500);
      expect(res.status).toBeGreaterThanOrEqual(400);
    }
  });
});

describe("admin API with a valid management token", () => {
  it("answers invalid JSON, null, arrays, scalars and wrong types with 400 invalid_request and writes nothing", async () => {
    const before = await auditCount();
    const json = { "content-type": "application/json" };
    for (const [path, method] of [
      ["/credentials", "POST"],
      ["/resources", "POST"],
      [`/credentials/${client.id}`, "PATCH"],
      [`/credentials/${client.id}/revoke`, "POST"],
      [`/credentials/${client.id}/secrets`, "POST"],
      [`/credentials/${client.id}/setup-codes`, "POST"],
    ] as const) {
      for (const body of ["{", "{'a':1}", "null", "[]", "[{}]", "42", '"x"', "\u0000", '{"a":1}{"b":2}']) {
        const res = await adminRaw(method, path, body, json);
        await expectProblem(res, 400, "invalid_request");
      }
    }
    for (const body of [
      { label: 42, grants: [] },
      { label: "x", grants: null },
      { label: "x", grants: {} },
      { label: "x", grants: [{ resource: API, scopes: "things:read" }] },
      { label: "x", grants: [{ resource: API, scopes: [42] }] },
      { label: "x", grants: [{ resource: API, scopes: ["things:read"] }], groups: "ops" },
      { label: "x", grants: [{ resource: API, scopes: ["things:read"] }], token_lifetime: "600" },
      { label: "x", grants: [{ resource: API, scopes: ["things:read"] }], token_lifetime: 1e308 },
      { label: "x", grants: [{ resource: API, scopes: ["things:read"] }], token_lifetime: 600.5 },
      { label: "x", grants: [{ resource: API, scopes: ["things:read"] }], expires_at: "tomorrow" },
      { label: "x", grants: [{ resource: API, scopes: ["things:read"] }], expires_at: "2099-02-30T00:00:00Z" },
      { label: "x", grants: [{ resource: API, scopes: ["things:read"] }], expires_at: "+275760-09-13T00:00:00Z" },
      { label: "x", grants: [{ resource: API, scopes: ["things:read"] }], delivery: "email" },
      { label: "x", grants: [{ resource: API, scopes: ["things:read"] }], [MARKER]: true },
      { label: "x\u0000y", grants: [{ resource: API, scopes: ["things:read"] }] },
      { label: " padded ", grants: [{ resource: API, scopes: ["things:read"] }] },
      { label: "l".repeat(65), grants: [{ resource: API, scopes: ["things:read"] }] },
      { label: "x", grants: [{ resource: `${API}#f`, scopes: ["things:read"] }] },
      { label: "x", grants: [{ resource: API, scopes: ["things read"] }] },
      { label: "x", grants: Array.from({ length: 21 }, () => ({ resource: API, scopes: ["things:read"] })) },
    ]) {
      await expectProblem(await t.admin("POST", "/credentials", body), 400, "invalid_request");
    }
    expect(await auditCount()).toBe(before);
  });

  it("never echoes an unknown field's name", async () => {
    const res = await t.admin("POST", "/credentials", {
      label: "x",
      grants: [{ resource: API, scopes: ["things:read"] }],
      [MARKER]: 1,
      ["k".repeat(10 * KiB)]: 2,
    });
    const body = await expectProblem(res, 400, "invalid_request");
    expect(JSON.stringify(body)).not.toContain("kkkkkkkk");
  });

  it("answers semantic refusals with their kinds and writes nothing", async () => {
    const before = await auditCount();
    await expectProblem(
      await t.admin("POST", "/credentials", {
        label: "y",
        grants: [{ resource: "https://unknown.example", scopes: ["a"] }],
      }),
      400,
      "invalid_request",
    );
    await expectProblem(
      await t.admin("POST", "/credentials", { label: "y", grants: [{ resource: API, scopes: ["nope"] }] }),
      400,
      "invalid_request",
    );
    await expectProblem(
      await t.admin("POST", "/credentials", {
        label: "y",
        grants: [{ resource: API, scopes: ["things:read"] }],
        expires_at: "2000-01-01T00:00:00Z",
      }),
      400,
      "invalid_request",
    );
    await expectProblem(
      await t.admin("POST", "/credentials", {
        label: client.label,
        grants: [{ resource: API, scopes: ["things:read"] }],
      }),
      409,
      "conflict",
    );
    await expectProblem(await t.admin("PATCH", `/credentials/${client.id}`, {}), 400, "invalid_request");
    await expectProblem(
      await t.admin("PATCH", `/credentials/${client.id}`, {
        grants: [{ resource: API, scopes: ["things:read", "things:write"] }],
      }),
      400,
      "invalid_request",
    );
    await expectProblem(
      await t.admin("POST", `/credentials/${client.id}/revoke`, { confirm_label: "wrong" }),
      400,
      "invalid_request",
    );
    await expectProblem(
      await t.admin("POST", `/credentials/${client.id}/secrets`, { grace_period_seconds: -1 }),
      400,
      "invalid_request",
    );
    await expectProblem(
      await t.admin("POST", "/resources", { uri: API, name: "dup", scopes: [{ name: "a" }] }),
      409,
      "conflict",
    );
    await expectProblem(
      await t.admin("POST", "/resources", {
        uri: "https://r.example",
        name: "r",
        scopes: [{ name: "a" }, { name: "a" }],
      }),
      400,
      "invalid_request",
    );
    await expectProblem(
      await t.admin("POST", "/resources", { uri: "https://r.example", name: "   ", scopes: [{ name: "a" }] }),
      400,
      "invalid_request",
    );
    expect(await auditCount()).toBe(before);
  });

  it("survives deeply nested and huge JSON: 400 or 413, never a 500", async () => {
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    await expectProblem(
      await adminRaw("POST", "/credentials", deep, { "content-type": "application/json" }),
      413,
      "payload_too_large",
    );
    const deepSmall = `{"label":"x","grants":${"[".repeat(20_000)}${"]".repeat(20_000)}}`;
    await expectProblem(
      await adminRaw("POST", "/credentials", deepSmall, { "content-type": "application/json" }),
      400,
      "invalid_request",
    );
    const nestedObj = `{"label":"x","grants":[{"resource":"${API}","scopes":["things:read"]}],"groups":[],"x":${'{"a":'.repeat(5000)}1${"}".repeat(5000)}}`;
    await expectProblem(
      await adminRaw("POST", "/credentials", nestedObj, { "content-type": "application/json" }),
      400,
      "invalid_request",
    );
    const huge = JSON.stringify({
      label: "x",
      grants: [{ resource: API, scopes: ["things:read"] }],
      groups: Array.from({ length: 20_000 }, (_, i) => `g${i}`),
    });
    await expectProblem(
      await adminRaw("POST", "/credentials", huge, { "content-type": "application/json" }),
      413,
      "payload_too_large",
    );
    await expectProblem(
      await adminRaw("POST", "/resources", stream(4096 * KiB, " "), { "content-type": "application/json" }),
      413,
      "payload_too_large",
    );
  });

  it("answers odd path parameters with 404 not_found", async () => {
    for (const id of [
      "%ZZ",
      "%",
      "%E0%A4%A",
      "x".repeat(8 * KiB),
      "%F0%9F%92%A9",
      "\u00e9t\u00e9",
      "..%2F..%2Fetc",
      "lkc_AAAAAAAAAAAAAAAAAAAAAA",
      "%00",
      encodeURIComponent(MARKER),
    ]) {
      await expectProblem(await t.admin("GET", `/credentials/${id}`), 404, "not_found");
      await expectProblem(await t.admin("PATCH", `/credentials/${id}`, { groups: ["a"] }), 404, "not_found");
      await expectProblem(await t.admin("POST", `/credentials/${id}/secrets`, {}), 404, "not_found");
      await expectProblem(await t.admin("DELETE", `/credentials/${client.id}/secrets/${id}`), 404, "not_found");
      await expectProblem(await t.admin("DELETE", `/credentials/${client.id}/keys/${id}`), 404, "not_found");
    }
  });

  it("answers query parameter abuse with 400 invalid_request", async () => {
    for (const q of [
      "limit=abc",
      "limit=0",
      "limit=-1",
      "limit=501",
      "limit=1e400",
      "limit=1.5",
      "limit=",
      "status=deleted",
      "status=active&status=revoked",
      `group=${encodeURIComponent("a b")}`,
      `x=${encodeURIComponent(MARKER)}`,
      "limit=99999999999999999999",
    ]) {
      await expectProblem(await t.admin("GET", `/credentials?${q}`), 400, "invalid_request");
    }
    for (const q of [
      "since=yesterday",
      "until=2020-13-01T00:00:00Z",
      "before=-5",
      "before=abc",
      "before=1e400",
      "before=99999999999999999999",
      "limit=0",
      `actor=${"a".repeat(201)}`,
      "action=a&action=b",
      "unknown=1",
    ]) {
      await expectProblem(await t.admin("GET", `/audit?${q}`), 400, "invalid_request");
    }
    for (const q of ["%ZZ=1", "limit=%ZZ", "status=%E0%A4%A"]) {
      const res = await t.admin("GET", `/credentials?${q}`);
      expect(res.status, q).toBe(400);
    }
    const ok = await t.admin("GET", `/audit?actor=${encodeURIComponent("\u00e9\u0000'; drop table audit_events;--")}`);
    expect(ok.status).toBe(200);
  });

  it("answers unknown paths and methods under /api/v1 with 404, and without auth with 401", async () => {
    await expectProblem(await t.admin("GET", "/nope"), 404, "not_found");
    await expectProblem(await t.admin("PUT", "/credentials"), 404, "not_found");
    await expectProblem(await t.admin("DELETE", "/resources"), 404, "not_found");
    await expectProblem(await call("/api/v1/nope"), 401, "unauthorized");
    await expectProblem(await call("/api/v1/credentials"), 401, "unauthorized");
  });

  it("refuses bad bearer tokens with 401 unauthorized", async () => {
    const none = `${btoa(JSON.stringify({ alg: "none", typ: "at+jwt" })).replace(/=+$/, "")}.${t.adminToken.split(".")[1]}.`;
    for (const authorization of [
      "Bearer",
      "Bearer ",
      "Bearer a.b.c",
      `Bearer ${t.adminToken}x`,
      `Bearer ${none}`,
      `Basic ${btoa(`${t.adminClientId}:${t.adminSecret}`)}`,
      `Bearer ${"a".repeat(16 * KiB)}`,
      `bearer  ${t.adminToken} extra`,
      MARKER,
    ]) {
      await expectProblem(await call("/api/v1/credentials", { headers: { authorization } }), 401, "unauthorized");
    }
  });

  it("checks scopes on every admin route (a read-only token cannot write; a machine never manages people)", async () => {
    const reader = await setupTenant("adversarial-reader", ["credentials:read"]);
    await expectProblem(
      await reader.admin("POST", "/credentials", { label: "z", grants: [{ resource: API, scopes: ["things:read"] }] }),
      403,
      "forbidden",
    );
    await expectProblem(
      await reader.admin("POST", "/resources", { uri: "https://z.example", name: "z", scopes: [{ name: "a" }] }),
      403,
      "forbidden",
    );
    await expectProblem(await reader.admin("GET", "/audit"), 403, "forbidden");
    await expectProblem(await reader.admin("GET", "/resources"), 403, "forbidden");
    await expectProblem(await t.admin("GET", "/members"), 403, "forbidden");
    await expectProblem(
      await t.admin("POST", "/invitations", { email: "x@example.com", role: "owner" }),
      403,
      "forbidden",
    );
    await expectProblem(await t.admin("GET", "/sessions"), 403, "forbidden");
  });

  it("keeps tenants apart: another tenant's credential is 404 and never listed", async () => {
    const other = await setupTenant("adversarial-other");
    await expectProblem(await other.admin("GET", `/credentials/${client.id}`), 404, "not_found");
    await expectProblem(
      await other.admin("POST", `/credentials/${client.id}/revoke`, { confirm_label: client.label }),
      404,
      "not_found",
    );
    await expectProblem(await other.admin("POST", `/credentials/${client.id}/secrets`, {}), 404, "not_found");
    const list = (await (await other.admin("GET", "/credentials")).json()) as { credentials: { id: string }[] };
    expect(list.credentials.map((c) => c.id)).not.toContain(client.id);
  });
});

describe("console auth endpoints", () => {
  it("answers wrong types and shapes on sign-in with 400 invalid_request", async () => {
    for (const body of [
      null,
      [],
      "x",
      { email: 1, password: "p" },
      { email: "a@example.com" },
      { email: "not-an-email", password: "p" },
      { email: "a@example.com", password: "" },
      { email: "a@example.com", password: ["p"] },
      { email: "a@example.com", password: "p", [MARKER]: 1 },
    ]) {
      await expectProblem(await postJson("/auth/login", body, {}, freshIp()), 400, "invalid_request");
    }
    await expectProblem(
      await call("/api/v1/auth/login", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{",
        ip: freshIp(),
      }),
      400,
      "invalid_request",
    );
  });

  it("caps the password length (no PBKDF2 over a long password) and the body size", async () => {
    const long = await postJson(
      "/auth/login",
      { email: "adv-owner@example.com", password: "p".repeat(257) },
      {},
      freshIp(),
    );
    await expectProblem(long, 400, "invalid_request");
    const started = Date.now();
    const mega = await postJson(
      "/auth/login",
      { email: "adv-owner@example.com", password: "p".repeat(1024 * KiB) },
      {},
      freshIp(),
    );
    await expectProblem(mega, 413, "payload_too_large");
    expect(Date.now() - started).toBeLessThan(2000);
    for (const path of ["/auth/setup-owner", "/auth/accept-invite"]) {
      await expectProblem(
        await postJson(
          path,
          { token: "t", name: "n", password: "p".repeat(257), email: "a@example.com" },
          {},
          freshIp(),
        ),
        400,
        "invalid_request",
      );
    }
    const ok = await postJson(
      "/auth/login",
      { email: "adv-owner@example.com", password: "correct horse battery staple" },
      {},
      freshIp(),
    );
    expect(ok.status).toBe(200);
  });

  // An empty Origin is no Origin (no browser sends one): the request is judged like curl's.
  it("refuses cross-site sign-in (login CSRF) in every spelling", async () => {
    const body = { email: "adv-owner@example.com", password: "correct horse battery staple" };
    for (const headers of [
      { origin: "https://evil.example" },
      { origin: "null" },
      { origin: `${ISSUER}/` },
      { origin: ISSUER.toUpperCase() },
      { origin: `${ISSUER}.evil.example` },
      { origin: "http://latchkey.test" },
      { origin: undefined as unknown as string, "sec-fetch-site": "cross-site" },
      { origin: undefined as unknown as string, "sec-fetch-site": "same-site" },
    ]) {
      const h: Record<string, string> = { "content-type": "application/json", "user-agent": "x" };
      for (const [k, v] of Object.entries(headers)) if (v !== undefined) h[k] = v;
      const res = await call("/api/v1/auth/login", {
        method: "POST",
        headers: h,
        body: JSON.stringify(body),
        ip: freshIp(),
      });
      expect(res.status, JSON.stringify(headers)).toBe(403);
      await expectProblem(res, 403, "csrf");
    }
  });

  it("refuses cookie-authenticated writes without the console's own origin", async () => {
    const spellings: Record<string, string>[] = [
      { origin: "https://evil.example" },
      { origin: "null" },
      { origin: `${ISSUER}/` },
      { "sec-fetch-site": "cross-site", origin: "" },
    ];
    for (const headers of spellings) {
      const res = await owner.send("POST", "/invitations", { email: "csrf@example.com", role: "viewer" }, headers);
      await expectProblem(res, 403, "csrf");
    }
    const noOrigin = await call("/api/v1/invitations", {
      method: "POST",
      headers: { cookie: `__Host-latchkey_session=${owner.cookie}`, "content-type": "application/json" },
      body: JSON.stringify({ email: "csrf@example.com", role: "viewer" }),
    });
    await expectProblem(noOrigin, 403, "csrf");
  });

  it("answers a signed-in owner's odd ids and bodies on members, invitations and sessions with their kinds", async () => {
    for (const id of ["%ZZ", "x".repeat(4 * KiB), encodeURIComponent(MARKER), "%F0%9F%92%A9"]) {
      await expectProblem(await owner.send("PATCH", `/members/${id}`, { role: "viewer" }), 404, "not_found");
      await expectProblem(await owner.send("DELETE", `/members/${id}`), 404, "not_found");
      await expectProblem(await owner.send("DELETE", `/invitations/${id}`), 404, "not_found");
      await expectProblem(await owner.send("DELETE", `/sessions/${id}`), 404, "not_found");
    }
    for (const body of [{ role: "god" }, { role: null }, {}, { role: "viewer", [MARKER]: 1 }, []]) {
      await expectProblem(await owner.send("PATCH", "/members/usr_x", body), 400, "invalid_request");
    }
    for (const body of [
      { email: "not-an-email", role: "viewer" },
      { email: `${"a".repeat(250)}@example.com`, role: "viewer" },
      { email: "x@example.com", role: "root" },
      { email: ["x@example.com"], role: "viewer" },
    ]) {
      await expectProblem(await owner.send("POST", "/invitations", body), 400, "invalid_request");
    }
    await expectProblem(
      await owner.send("POST", "/invitations", { email: "adv-owner@example.com", role: "viewer" }),
      409,
      "already_member",
    );
  });

  it("answers bad invitation, owner-link and cookie input with their kinds", async () => {
    await expectProblem(await postJson("/auth/invitation", { token: MARKER }), 400, "invalid_invitation");
    await expectProblem(await postJson("/auth/invitation", { token: "%ZZ" }), 400, "invalid_invitation");
    for (const body of [
      {},
      { token: "" },
      { token: "t".repeat(201) },
      { token: 7 },
      { token: MARKER, extra: 1 },
      null,
      "x",
    ]) {
      await expectProblem(await postJson("/auth/invitation", body), 400, "invalid_request");
    }
    await expectProblem(
      await call(`/api/v1/auth/invitation?token=${encodeURIComponent(MARKER)}`),
      405,
      "method_not_allowed",
    );
    await expectProblem(
      await postJson("/auth/accept-invite", { token: MARKER, name: "n", password: "p".repeat(12) }, {}, freshIp()),
      400,
      "invalid_invitation",
    );
    await expectProblem(
      await postJson(
        "/auth/setup-owner",
        { token: MARKER, email: "b@example.com", name: "n", password: "p".repeat(12) },
        {},
        freshIp(),
      ),
      400,
      "invalid_setup_token",
    );
    await expectProblem(
      await call("/api/v1/bootstrap/owner-link", {
        method: "POST",
        headers: { authorization: `Bearer ${MARKER}` },
        ip: freshIp(),
      }),
      401,
      "unauthorized",
    );
    for (const cookie of [
      "__Host-latchkey_session=%ZZ",
      `__Host-latchkey_session=${"a".repeat(43)}`,
      `__Host-latchkey_session=${MARKER}`,
      "__Host-latchkey_session",
      "=;=;=",
      `__Host-latchkey_session=${"a".repeat(8 * KiB)}`,
    ]) {
      await expectProblem(await call("/api/v1/me", { headers: { cookie } }), 401, "unauthorized");
    }
    const out = await call("/api/v1/auth/logout", {
      method: "POST",
      headers: { cookie: "__Host-latchkey_session=%ZZ" },
    });
    expect(out.status).toBe(204);
  });
});

describe("metadata and unknown paths", () => {
  it("serves /.well-known documents to GET and HEAD and refuses other methods", async () => {
    for (const path of ["/.well-known/jwks.json", "/.well-known/oauth-authorization-server"]) {
      expect((await call(path)).status).toBe(200);
      const head = await call(path, { method: "HEAD" });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe("");
      for (const method of ["POST", "PUT", "DELETE"]) {
        const res = await call(path, { method, body: method === "DELETE" ? null : "x" });
        expect(res.headers.get("allow"), `${method} ${path}`).toBe("GET, HEAD");
        await expectProblem(res, 405, "method_not_allowed");
      }
    }
    const jwks = (await (await call("/.well-known/jwks.json")).json()) as { keys: Json[] };
    for (const key of jwks.keys)
      for (const member of ["d", "p", "q", "dp", "dq", "qi", "k"]) expect(key[member]).toBeUndefined();
  });

  it("answers unknown paths with 404 problem+json, whatever their shape", async () => {
    for (const path of [
      "/.well-known/openid-configuration",
      "/.well-known/%ZZ",
      "/oauth/authorize",
      "/oauth/token/extra",
      "/oauth/introspect/extra",
      "/%ZZ",
      `/${"x".repeat(8 * KiB)}`,
      `/${encodeURIComponent(MARKER)}`,
      "/setup/other",
      "/healthz/x",
    ]) {
      await expectProblem(await call(path), 404, "not_found");
    }
    expect((await call("/healthz", { method: "HEAD" })).status).toBe(200);
  });

  it("never answers a 500 to a barrage of odd requests", async () => {
    const paths = [
      "/oauth/token",
      "/setup/redeem",
      "/api/v1/credentials",
      "/api/v1/auth/login",
      "/api/v1/bootstrap",
      "/.well-known/jwks.json",
      "/api/v1/openapi.json",
    ];
    const bodies: [string, BodyInit][] = [
      ["application/json", "{"],
      ["application/json", new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])],
      ["application/x-www-form-urlencoded", "a=b&a=c&%ZZ"],
      ["text/plain", "\u0000"],
    ];
    for (const path of paths) {
      for (const method of ["GET", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"]) {
        for (const [type, body] of method === "GET" || method === "OPTIONS" ? [["", null] as const] : bodies) {
          const res = await call(path, {
            method,
            headers: { "content-type": type, authorization: `Bearer ${t.adminToken}` },
            body,
            ip: freshIp(),
          });
          expect(res.status, `${method} ${path} ${type}`).toBeLessThan(500);
          await res.arrayBuffer();
        }
      }
    }
  }, 60_000);
});

describe("tenants, memberships and switching", () => {
  const bootstrap = { authorization: `Bearer ${env.BOOTSTRAP_TOKEN}` };
  const JSON_TYPE = { "content-type": "application/json" };
  const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
  const json = async (res: Response) => (await res.json()) as Json;
  const createTenantRaw = (body: BodyInit | null, headers: Record<string, string> = {}, method = "POST") =>
    call("/api/v1/tenants", { method, headers: { ...bootstrap, ...JSON_TYPE, ...headers }, body, ip: freshIp() });
  const tenantIsThere = async (id: string) =>
    (await call(`/.well-known/oauth-authorization-server/t/${id}`)).status === 200;
  const ownerLinkOf = async (id: string) => {
    const res = await createTenantRaw(JSON.stringify({ name: `Adv ${id}`, id }));
    expect(res.status).toBe(201);
    return tokenOf((await json(res)).owner_link.url);
  };
  const firstOwner = async (token: string, email: string) => {
    const res = await postJson("/auth/setup-owner", { token, email, name: email, password: PASSWORD }, {}, freshIp());
    expect(res.status).toBe(201);
    return person(sessionCookieOf(res), email);
  };
  const login = async (email: string) => {
    const res = await postJson("/auth/login", { email, password: PASSWORD }, {}, freshIp());
    expect(res.status).toBe(200);
    return person(sessionCookieOf(res), email);
  };
  const invitationToken = async (from: Person, email: string, role: string) => {
    const res = await from.send("POST", "/invitations", { email, role });
    expect(res.status).toBe(201);
    return tokenOf((await json(res)).url);
  };
  const inviteNew = async (from: Person, email: string, role: string) => {
    const token = await invitationToken(from, email, role);
    const res = await postJson("/auth/accept-invite", { token, name: email, password: PASSWORD }, {}, freshIp());
    expect(res.status).toBe(201);
    return person(sessionCookieOf(res), email);
  };
  const membersSeenBy = async (who: Person) => {
    const res = await who.send("GET", "/members");
    expect(res.status).toBe(200);
    return (await json(res)).members as Json[];
  };
  const idOf = async (who: Person, email: string) =>
    (await membersSeenBy(who)).find((m) => m.email === email)?.id as string;
  const events = async (who: Person, action: string) => {
    const res = await who.send("GET", `/audit?action=${action}&limit=500`);
    expect(res.status).toBe(200);
    return (await json(res)).events as Json[];
  };
  const meOf = async (who: Person) => json(await who.send("GET", "/me"));
  /** An owner of `tenantId` as a service sees them, for races that start past the HTTP authentication step. */
  const ownerActorOf = (tenantId: string, email: string) => ({
    tenantId,
    actor: `user:${email}`,
    ip: null,
    userAgent: null,
    authority: new Set(scopesOfRole("owner")),
  });
  const raw = (who: Person, method: string, path: string, body: BodyInit | null, headers: Record<string, string>) =>
    call(`/api/v1${path}`, {
      method,
      ip: freshIp(),
      headers: { cookie: `${COOKIE}=${who.cookie}`, origin: ISSUER, "user-agent": BROWSER_UA, ...headers },
      body,
    });

  const SIGNUP_ON: Env = { ...env, SIGNUP_ENABLED: "true" };
  let alice: Person;
  let bob: Person;

  beforeAll(async () => {
    alice = await firstOwner(await ownerLinkOf("adv-a"), "alice@adv-a.example");
    bob = await firstOwner(await ownerLinkOf("adv-b"), "bob@adv-b.example");
  });

  it("POST /tenants: bad bootstrap tokens, bodies and content types are refused and create nothing", async () => {
    const body = JSON.stringify({ name: "Never", id: "adv-never" });
    for (const authorization of ["", "Bearer", `Bearer ${env.BOOTSTRAP_TOKEN}x`, `Bearer ${t.adminToken}`, MARKER]) {
      await expectProblem(await createTenantRaw(body, { authorization }), 401, "unauthorized");
    }
    await expectProblem(
      await raw(alice, "POST", "/tenants", body, { "content-type": "application/json" }),
      401,
      "unauthorized",
    );
    for (const bad of [
      "{",
      "null",
      "[]",
      '"x"',
      "{}",
      JSON.stringify({ name: "" }),
      JSON.stringify({ name: "   " }),
      JSON.stringify({ name: "n".repeat(101) }),
      JSON.stringify({ name: "!!!" }),
      JSON.stringify({ name: "Ok", id: "Bad_Id" }),
      JSON.stringify({ name: "Ok", id: "a\u0000b" }),
      JSON.stringify({ name: "Ok", id: "a--b" }),
      JSON.stringify({ name: "Ok", id: "x".repeat(33) }),
      JSON.stringify({ name: "Ok", id: "api" }),
      JSON.stringify({ name: "Ok", id: "default" }),
      JSON.stringify({ name: "Ok", id: 7 }),
      JSON.stringify({ name: "Ok", id: "adv-never", [MARKER]: 1 }),
    ]) {
      await expectProblem(await createTenantRaw(bad), 400, "invalid_request", { why: bad.slice(0, 40) });
    }
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "application/jsonx"]) {
      await expectProblem(await createTenantRaw(body, { "content-type": type }), 415, "unsupported_media_type");
    }
    await expectProblem(
      await createTenantRaw(JSON.stringify({ name: "n".repeat(80 * KiB), id: "adv-never" })),
      413,
      "payload_too_large",
    );
    await expectProblem(await createTenantRaw(stream(2048 * KiB, " ")), 413, "payload_too_large");
    await expectProblem(await createTenantRaw(JSON.stringify({ name: "Again", id: "adv-a" })), 409, "tenant_exists");
    for (const method of ["GET", "PUT", "PATCH", "DELETE"]) {
      const res = await createTenantRaw(method === "GET" ? null : body, {}, method);
      expect(res.status, method).toBeGreaterThanOrEqual(400);
      expect(res.status, method).toBeLessThan(500);
      await res.arrayBuffer();
    }
    expect(await tenantIsThere("adv-never")).toBe(false);
    expect((await json(await (await login("alice@adv-a.example")).send("GET", "/me"))).tenant.id).toBe("adv-a");
  });

  it("POST /signup: off is 404 whatever the body; on, bad bodies, cross-site and taken names write nothing", async () => {
    const signup = (body: BodyInit | null, headers: Record<string, string> = {}, bindings: Env = SIGNUP_ON) =>
      app.fetch(
        new Request(`${ISSUER}/api/v1/signup`, {
          method: "POST",
          headers: {
            ...JSON_TYPE,
            origin: ISSUER,
            "user-agent": BROWSER_UA,
            "cf-connecting-ip": freshIp(),
            ...headers,
          },
          body,
        }),
        bindings,
        createExecutionContext(),
      );
    const newcomer = { tenant_name: "Adv Signup", email: "newcomer@adv-signup.example", name: "N", password: PASSWORD };
    for (const body of ["{", "null", JSON.stringify(newcomer)]) {
      await expectProblem(await signup(body, {}, env), 404, "not_found");
    }
    await expectProblem(await signup(stream(2048 * KiB, " "), {}, env), 413, "payload_too_large");
    for (const bad of [
      "{",
      "[]",
      "{}",
      JSON.stringify({ tenant_name: "Adv Signup" }),
      JSON.stringify({ ...newcomer, password: "short" }),
      JSON.stringify({ ...newcomer, password: "p".repeat(257) }),
      JSON.stringify({ ...newcomer, email: "not-an-email" }),
      JSON.stringify({ ...newcomer, email: ["newcomer@adv-signup.example"] }),
      JSON.stringify({ ...newcomer, tenant_id: "oauth" }),
      JSON.stringify({ ...newcomer, tenant_id: "Adv_Signup" }),
      JSON.stringify({ ...newcomer, tenant_name: "\u0000!!" }),
      JSON.stringify({ ...newcomer, role: "owner" }),
      JSON.stringify({ ...newcomer, [MARKER]: 1 }),
    ]) {
      await expectProblem(await signup(bad), 400, "invalid_request", { why: bad.slice(0, 60) });
    }
    await expectProblem(
      await signup(JSON.stringify(newcomer), { "content-type": "text/plain" }),
      415,
      "unsupported_media_type",
    );
    for (const headers of [
      { origin: "https://evil.example" },
      { origin: "null" },
      { origin: `${ISSUER}.evil.example` },
    ]) {
      await expectProblem(await signup(JSON.stringify(newcomer), headers), 403, "csrf");
    }
    await expectProblem(
      await signup(JSON.stringify({ ...newcomer, email: "Alice@ADV-A.example" })),
      409,
      "email_taken",
    );
    await expectProblem(await signup(JSON.stringify({ ...newcomer, tenant_id: "adv-b" })), 409, "tenant_exists");
    // A signed-in person signing up from another site is refused like any cookie write; a machine token is no one.
    const cookie = { cookie: `${COOKIE}=${alice.cookie}` };
    await expectProblem(
      await signup(JSON.stringify({ tenant_name: "Adv Signup" }), { ...cookie, origin: "https://evil.example" }),
      403,
      "csrf",
    );
    await expectProblem(
      await signup(JSON.stringify({ tenant_name: "Adv Signup" }), { authorization: `Bearer ${t.adminToken}` }),
      400,
      "invalid_request",
    );
    expect(await tenantIsThere("adv-signup")).toBe(false);
    await expectProblem(
      await postJson("/auth/login", { email: newcomer.email, password: PASSWORD }, {}, freshIp()),
      401,
      "invalid_credentials",
    );

    // Two sign-ups of one tenant id at once: one wins, the other leaves no account behind.
    const racers = await Promise.all(
      ["one", "two"].map((n) => signup(JSON.stringify({ ...newcomer, email: `${n}@adv-signup.example` }))),
    );
    expect(racers.map((r) => r.status).sort()).toEqual([201, 409]);
    const loser = racers.find((r) => r.status === 409)!;
    await expectProblem(loser, 409, "tenant_exists");
    const winner = (await json(racers.find((r) => r.status === 201)!)).user.email as string;
    const other = winner.startsWith("one") ? "two@adv-signup.example" : "one@adv-signup.example";
    expect((await postJson("/auth/login", { email: other, password: PASSWORD }, {}, freshIp())).status).toBe(401);
    const creations = await events(await login(winner), "tenant.create");
    expect(creations).toHaveLength(1);

    // Two sign-ups with one email at once: one tenant, one account.
    const twins = await Promise.all(
      ["adv-twin-1", "adv-twin-2"].map((id) =>
        signup(JSON.stringify({ ...newcomer, tenant_id: id, email: "twin@adv-signup.example" })),
      ),
    );
    expect(twins.map((r) => r.status).sort()).toEqual([201, 409]);
    await expectProblem(twins.find((r) => r.status === 409)!, 409, "email_taken");
    expect([await tenantIsThere("adv-twin-1"), await tenantIsThere("adv-twin-2")].filter(Boolean)).toHaveLength(1);
  });

  it("invitation lookup and acceptance: wrong types, sizes, methods and spent links; two acceptances make one person", async () => {
    const token = await invitationToken(alice, "dora@adv-a.example", "viewer");
    for (const path of ["/auth/invitation", "/auth/accept-invite", "/auth/join"]) {
      for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
        const res = await call(`/api/v1${path}`, {
          method: "POST",
          headers: { "content-type": type, origin: ISSUER, cookie: `${COOKIE}=${bob.cookie}` },
          body: JSON.stringify({ token, name: "Dora", password: PASSWORD }),
          ip: freshIp(),
        });
        await expectProblem(res, 415, "unsupported_media_type", { why: `${path} ${type}` });
      }
      await expectProblem(
        await postJson(
          path,
          { token, name: "n".repeat(70 * KiB), password: PASSWORD },
          { cookie: `${COOKIE}=${bob.cookie}` },
          freshIp(),
        ),
        413,
        "payload_too_large",
      );
    }
    for (const method of ["GET", "PUT", "DELETE", "PATCH"]) {
      await expectProblem(await call("/api/v1/auth/invitation", { method, ip: freshIp() }), 405, "method_not_allowed");
    }
    // The link still works after all of that, and two acceptances at once make one person.
    expect((await json(await postJson("/auth/invitation", { token }))).account).toBe("new");
    const both = await Promise.all(
      ["Dora", "Dora2"].map((name) =>
        postJson("/auth/accept-invite", { token, name, password: PASSWORD }, {}, freshIp()),
      ),
    );
    expect(both.filter((r) => r.status === 201)).toHaveLength(1);
    const lost = both.find((r) => r.status !== 201)!;
    await expectProblem(lost, lost.status, lost.status === 409 ? "account_exists" : "invalid_invitation");
    expect((await membersSeenBy(alice)).filter((m) => m.email === "dora@adv-a.example")).toHaveLength(1);
    expect(await events(alice, "invitation.accept")).toHaveLength(1);
    for (const path of ["/auth/invitation", "/auth/accept-invite"]) {
      await expectProblem(
        await postJson(path, path === "/auth/invitation" ? { token } : { token, name: "Again", password: PASSWORD }),
        400,
        "invalid_invitation",
      );
    }
    await expectProblem(await bob.send("POST", "/auth/join", { token }), 400, "invalid_invitation");
  });

  it("POST /auth/join: no session, a machine token, bad cookies and another person's session are refused", async () => {
    const token = await invitationToken(alice, "bob@adv-b.example", "admin");
    await expectProblem(await postJson("/auth/join", { token }), 401, "unauthorized");
    await expectProblem(
      await postJson("/auth/join", { token }, { authorization: `Bearer ${t.adminToken}` }),
      401,
      "unauthorized",
    );
    for (const cookie of [
      `${COOKIE}=%ZZ`,
      `${COOKIE}=${"a".repeat(43)}`,
      `${COOKIE}=${MARKER}`,
      `other=${bob.cookie}`,
    ]) {
      await expectProblem(await postJson("/auth/join", { token }, { cookie }), 401, "unauthorized");
    }
    for (const headers of [{ origin: "https://evil.example" }, { origin: "null" }, { origin: "" }]) {
      await expectProblem(await bob.send("POST", "/auth/join", { token }, headers), 403, "csrf");
    }
    await expectProblem(await alice.send("POST", "/auth/join", { token }), 403, "forbidden");
    for (const body of [{}, { token: "" }, { token: 1 }, { token: "t".repeat(201) }, { token, extra: 1 }, [token]]) {
      await expectProblem(await bob.send("POST", "/auth/join", body), 400, "invalid_request");
    }
    await expectProblem(await bob.send("POST", "/auth/join", { token: MARKER }), 400, "invalid_invitation");
    expect(await idOf(alice, "bob@adv-b.example")).toBeUndefined();
    expect(await events(alice, "invitation.accept")).toHaveLength(1);
    expect((await meOf(bob)).tenant.id).toBe("adv-b");

    // Two joins of one invitation at once, from two sessions of the same person: one membership, one event.
    const bob2 = await login("bob@adv-b.example");
    const joins = await Promise.all([
      bob.send("POST", "/auth/join", { token }),
      bob2.send("POST", "/auth/join", { token }),
    ]);
    expect(joins.filter((r) => r.status === 200)).toHaveLength(1);
    const lostJoin = joins.find((r) => r.status !== 200)!;
    await expectProblem(lostJoin, lostJoin.status, lostJoin.status === 409 ? "already_member" : "invalid_invitation");
    expect((await membersSeenBy(alice)).filter((m) => m.email === "bob@adv-b.example")).toMatchObject([
      { role: "admin" },
    ]);
    expect((await events(alice, "invitation.accept")).filter((e) => e.detail.membership)).toHaveLength(1);
  });

  it("PATCH/DELETE /members: odd ids, another tenant's people, bad bodies and lesser roles change nothing", async () => {
    const bobHome = await login("bob@adv-b.example");
    const bobInA = await login("bob@adv-b.example");
    expect((await bobInA.send("POST", "/me/tenant", { tenant: "adv-a" })).status).toBe(200);
    const erin = await inviteNew(bobHome, "erin@adv-b.example", "viewer");
    const erinId = await idOf(bobHome, "erin@adv-b.example");
    const dora = await login("dora@adv-a.example");
    const doraId = await idOf(alice, "dora@adv-a.example");
    const aliceId = await idOf(alice, "alice@adv-a.example");
    const bobId = await idOf(alice, "bob@adv-b.example");
    const before = await membersSeenBy(alice);
    for (const id of [
      "%00",
      "x".repeat(8 * KiB),
      "%ZZ",
      "..%2F..%2Fadv-b",
      erinId,
      `${erinId}%00`,
      erinId.toUpperCase(),
    ]) {
      await expectProblem(await alice.send("PATCH", `/members/${id}`, { role: "viewer" }), 404, "not_found");
      await expectProblem(await alice.send("DELETE", `/members/${id}`), 404, "not_found");
    }
    // Another tenant's invitation and session, by id: not found, and untouched.
    const bInvitation = await json(
      await bobHome.send("POST", "/invitations", { email: "pat@adv-b.example", role: "owner" }),
    );
    const erinSession = (await meOf(erin)).session.id as string;
    await expectProblem(await alice.send("DELETE", `/invitations/${bInvitation.id}`), 404, "not_found");
    await expectProblem(await alice.send("DELETE", `/sessions/${erinSession}`), 404, "not_found");
    expect((await json(await postJson("/auth/invitation", { token: tokenOf(bInvitation.url) }))).role).toBe("owner");
    expect((await membersSeenBy(bobHome)).find((m) => m.id === erinId)).toMatchObject({ role: "viewer" });
    expect((await meOf(erin)).user).toMatchObject({ tenant_id: "adv-b", role: "viewer" });
    for (const body of [
      "{",
      "null",
      "[]",
      '{"role":"owner","role":"viewer"}x',
      '{"role":"owner","x":1}',
      '{"role":"OWNER"}',
    ]) {
      await expectProblem(await raw(alice, "PATCH", `/members/${doraId}`, body, JSON_TYPE), 400, "invalid_request");
    }
    await expectProblem(
      await raw(alice, "PATCH", `/members/${doraId}`, '{"role":"owner"}', { "content-type": "text/plain" }),
      415,
      "unsupported_media_type",
    );
    await expectProblem(
      await raw(
        alice,
        "PATCH",
        `/members/${doraId}`,
        JSON.stringify({ role: "owner", pad: "p".repeat(70 * KiB) }),
        JSON_TYPE,
      ),
      413,
      "payload_too_large",
    );
    for (const method of ["PUT", "POST"]) {
      await expectProblem(
        await raw(alice, method, `/members/${doraId}`, '{"role":"owner"}', JSON_TYPE),
        404,
        "not_found",
      );
    }
    // Lesser roles: a viewer at home, an admin by membership; a machine never manages people.
    await expectProblem(await dora.send("PATCH", `/members/${aliceId}`, { role: "viewer" }), 403, "forbidden");
    await expectProblem(await dora.send("DELETE", `/members/${aliceId}`), 403, "forbidden");
    await expectProblem(await bobInA.send("PATCH", `/members/${doraId}`, { role: "owner" }), 403, "forbidden");
    await expectProblem(await bobInA.send("PATCH", `/members/${bobId}`, { role: "owner" }), 403, "forbidden");
    await expectProblem(await bobInA.send("DELETE", `/members/${aliceId}`), 403, "forbidden");
    await expectProblem(await t.admin("PATCH", `/members/${doraId}`, { role: "owner" }), 403, "forbidden");
    await expectProblem(await t.admin("DELETE", `/members/${doraId}`), 403, "forbidden");
    // No cookie, a cross-site page, an owner of another tenant acting with their own session.
    await expectProblem(
      await call(`/api/v1/members/${doraId}`, { method: "DELETE", headers: { origin: ISSUER } }),
      401,
      "unauthorized",
    );
    await expectProblem(
      await alice.send("DELETE", `/members/${doraId}`, undefined, { origin: "https://evil.example" }),
      403,
      "csrf",
    );
    await expectProblem(await bobHome.send("DELETE", `/members/${doraId}`), 404, "not_found");
    await expectProblem(await bobHome.send("PATCH", `/members/${aliceId}`, { role: "viewer" }), 404, "not_found");
    // Setting the role someone already has changes nothing and writes no event.
    const same = await alice.send("PATCH", `/members/${bobId}`, { role: "admin" });
    expect(same.status).toBe(200);
    expect(await json(same)).toMatchObject({ id: bobId, role: "admin" });
    expect(await membersSeenBy(alice)).toEqual(before);
    expect(await events(alice, "member.role.change")).toHaveLength(0);
    expect(await events(alice, "member.remove")).toHaveLength(0);
    expect(await events(bobHome, "member.remove")).toHaveLength(0);
  });

  it("two owners demoting or removing each other at once: exactly one change, one event, an owner left", async () => {
    const carolHome = await firstOwner(await ownerLinkOf("adv-c"), "carol@adv-c.example");
    const carol = await login("carol@adv-c.example");
    expect(
      (await carol.send("POST", "/auth/join", { token: await invitationToken(alice, "carol@adv-c.example", "owner") }))
        .status,
    ).toBe(200);
    const aliceId = await idOf(alice, "alice@adv-a.example");
    const carolId = await idOf(alice, "carol@adv-c.example");
    const demotions = await Promise.all([
      alice.send("PATCH", `/members/${carolId}`, { role: "admin" }),
      carol.send("PATCH", `/members/${aliceId}`, { role: "admin" }),
    ]);
    // The loser is refused by the guard in the UPDATE (409), or, authenticated after the winner's change, as an admin (403).
    expect(demotions.filter((r) => r.status === 200)).toHaveLength(1);
    const refusedDemotion = demotions.find((r) => r.status !== 200)!;
    await expectProblem(
      refusedDemotion,
      refusedDemotion.status,
      refusedDemotion.status === 403 ? "forbidden" : "last_owner",
    );
    const owners = (await membersSeenBy(alice)).filter((m) => m.role === "owner");
    expect(owners).toHaveLength(1);
    expect(await events(owners[0]!.id === aliceId ? alice : carol, "member.role.change")).toHaveLength(1);
    const [winner, loserId] = owners[0]!.id === aliceId ? [alice, carolId] : [carol, aliceId];
    expect((await winner.send("PATCH", `/members/${loserId}`, { role: "owner" })).status).toBe(200);
    expect(await events(alice, "member.role.change")).toHaveLength(2);

    // The same race past the authentication step (both read the members first): the guard in the UPDATE decides.
    const ownerActor = (email: string) => ownerActorOf("adv-a", email);
    const guarded = await Promise.allSettled([
      changeRole(testContext(), ownerActor(alice.email), carolId, "viewer", Date.now()),
      changeRole(testContext(), ownerActor(carol.email), aliceId, "viewer", Date.now()),
    ]);
    expect(guarded.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const guardRefusal = guarded.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(guardRefusal.reason).toMatchObject({ code: "last_owner", status: 409 });
    expect((await membersSeenBy(alice)).filter((m) => m.role === "owner")).toHaveLength(1);
    expect(await events(alice, "member.role.change")).toHaveLength(3);
    const stillOwner = guarded[0].status === "fulfilled" ? alice : carol;
    const demotedId = stillOwner === alice ? carolId : aliceId;
    expect((await stillOwner.send("PATCH", `/members/${demotedId}`, { role: "owner" })).status).toBe(200);

    // Removal: Dan (at home) and Carol (by membership) remove each other in a tenant of their own.
    const danLink = await ownerLinkOf("adv-d");
    const dan = await firstOwner(danLink, "dan@adv-d.example");
    const carolInD = await login("carol@adv-c.example");
    expect(
      (await carolInD.send("POST", "/auth/join", { token: await invitationToken(dan, "carol@adv-c.example", "owner") }))
        .status,
    ).toBe(200);
    const danId = await idOf(dan, "dan@adv-d.example");
    const removals = await Promise.all([
      dan.send("DELETE", `/members/${carolId}`),
      carolInD.send("DELETE", `/members/${danId}`),
    ]);
    const statuses = removals.map((r) => r.status);
    expect(statuses.filter((s) => s === 204)).toHaveLength(1);
    const refused = removals.find((r) => r.status !== 204)!;
    await expectProblem(refused, refused.status, refused.status === 401 ? "unauthorized" : "last_owner");
    const survivor = statuses[0] === 204 ? dan : carolInD;
    const left = await membersSeenBy(survivor);
    expect(left.map((m) => [m.email, m.role])).toEqual([[survivor.email, "owner"]]);
    expect(await events(survivor, "member.remove")).toHaveLength(1);
    expect((await meOf(carolHome)).tenant.id).toBe("adv-c");

    const ed = await firstOwner(await ownerLinkOf("adv-e"), "ed@adv-e.example");
    await inviteNew(ed, "fay@adv-e.example", "owner");
    const [edId, fayId] = [await idOf(ed, "ed@adv-e.example"), await idOf(ed, "fay@adv-e.example")];
    const actorIn = (email: string) => ownerActorOf("adv-e", email);
    const both = await Promise.allSettled([
      removeMember(testContext(), actorIn("ed@adv-e.example"), fayId, Date.now()),
      removeMember(testContext(), actorIn("fay@adv-e.example"), edId, Date.now()),
    ]);
    expect(both.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect((both.find((r) => r.status === "rejected") as PromiseRejectedResult).reason).toMatchObject({
      code: "last_owner",
    });
    const remaining = both[0].status === "fulfilled" ? "ed@adv-e.example" : "fay@adv-e.example";
    const lastOne = await login(remaining);
    expect((await membersSeenBy(lastOne)).map((m) => [m.email, m.role])).toEqual([[remaining, "owner"]]);
    expect(await events(lastOne, "member.remove")).toHaveLength(1);
  });

  it("a join racing a removal or a revocation never leaves a half-member behind", async () => {
    const bobHome = await login("bob@adv-b.example");
    const hank = await inviteNew(bobHome, "hank@adv-b.example", "viewer");
    const first = await invitationToken(alice, "hank@adv-b.example", "viewer");
    const second = await invitationToken(alice, "hank@adv-b.example", "owner");
    expect((await hank.send("POST", "/auth/join", { token: first })).status).toBe(200);
    const hankId = await idOf(alice, "hank@adv-b.example");
    const elsewhere = await login("hank@adv-b.example");
    const [removed, joined] = await Promise.all([
      alice.send("DELETE", `/members/${hankId}`),
      hank.send("POST", "/auth/join", { token: second }),
    ]);
    expect(removed.status).toBe(204);
    await expectProblem(
      joined,
      joined.status,
      { 400: "invalid_invitation", 401: "unauthorized", 409: "already_member" }[joined.status] ?? "?",
    );
    expect(await idOf(alice, "hank@adv-b.example")).toBeUndefined();
    await expectProblem(await postJson("/auth/invitation", { token: second }), 400, "invalid_invitation");
    expect((await events(alice, "member.remove")).filter((e) => e.target_id === hankId)).toHaveLength(1);
    // Switching into the tenant he was removed from is refused, and his session stays where it was.
    await expectProblem(await elsewhere.send("POST", "/me/tenant", { tenant: "adv-a" }), 404, "not_found");
    expect((await meOf(elsewhere)).tenant.id).toBe("adv-b");
    expect((await json(await elsewhere.send("GET", "/me/tenants"))).tenants.map((x: Json) => x.id)).toEqual(["adv-b"]);

    // Revocation racing the join: exactly one of them happens, with its one event.
    const made = await alice.send("POST", "/invitations", { email: "hank@adv-b.example", role: "admin" });
    const invitation = await json(made);
    const [revoked, accepted] = await Promise.all([
      alice.send("DELETE", `/invitations/${invitation.id}`),
      elsewhere.send("POST", "/auth/join", { token: tokenOf(invitation.url) }),
    ]);
    expect([revoked.status, accepted.status].sort()).toEqual(accepted.status === 200 ? [200, 409] : [204, 400]);
    const member = await idOf(alice, "hank@adv-b.example");
    expect(member !== undefined).toBe(accepted.status === 200);
    const about = async (action: string) => (await events(alice, action)).filter((e) => e.target_id === invitation.id);
    expect((await about("invitation.accept")).length + (await about("invitation.revoke")).length).toBe(1);
  });

  it("/me/tenant and /me/tenants: bad bodies, machines, no-op switches and unknown tenants write no event", async () => {
    const bobHome = await login("bob@adv-b.example");
    const switches = async () => (await events(bobHome, "session.tenant.switch")).length;
    const before = await switches();
    for (const body of [
      "{",
      "null",
      "[]",
      "{}",
      '{"tenant":""}',
      `{"tenant":"${"x".repeat(65)}"}`,
      '{"tenant":7}',
      '{"tenant":"adv-a","x":1}',
    ]) {
      await expectProblem(await raw(bobHome, "POST", "/me/tenant", body, JSON_TYPE), 400, "invalid_request", {
        why: body,
      });
    }
    await expectProblem(
      await raw(bobHome, "POST", "/me/tenant", '{"tenant":"adv-a"}', { "content-type": "text/plain" }),
      415,
      "unsupported_media_type",
    );
    await expectProblem(
      await raw(
        bobHome,
        "POST",
        "/me/tenant",
        JSON.stringify({ tenant: "adv-a", pad: "p".repeat(70 * KiB) }),
        JSON_TYPE,
      ),
      413,
      "payload_too_large",
    );
    for (const tenant of ["adv-c", "adv-never", "ADV-A", "adv-a ", "%00", "\u0000", "../adv-a", MARKER]) {
      await expectProblem(await bobHome.send("POST", "/me/tenant", { tenant }), 404, "not_found", { why: tenant });
    }
    for (const method of ["GET", "PUT", "DELETE"]) {
      await expectProblem(await raw(bobHome, method, "/me/tenant", null, {}), 404, "not_found");
    }
    await expectProblem(await t.admin("POST", "/me/tenant", { tenant: "adv-a" }), 403, "forbidden");
    await expectProblem(await t.admin("GET", "/me/tenants"), 403, "forbidden");
    await expectProblem(await call("/api/v1/me/tenants"), 401, "unauthorized");
    await expectProblem(
      await call("/api/v1/me/tenant", {
        method: "POST",
        headers: { ...JSON_TYPE, origin: ISSUER },
        body: '{"tenant":"adv-a"}',
      }),
      401,
      "unauthorized",
    );
    await expectProblem(
      await bobHome.send("POST", "/me/tenant", { tenant: "adv-a" }, { origin: "https://evil.example" }),
      403,
      "csrf",
    );
    const stay = await bobHome.send("POST", "/me/tenant", { tenant: "adv-b" });
    expect(stay.status).toBe(200);
    expect(await json(stay)).toMatchObject({ active: "adv-b", user: { tenant_id: "adv-b", role: "owner" } });
    expect(await switches()).toBe(before);
    expect((await meOf(bobHome)).tenant.id).toBe("adv-b");
    const listed = await json(await bobHome.send("GET", "/me/tenants"));
    expect(listed.tenants.map((x: Json) => [x.id, x.role, x.active])).toEqual([
      ["adv-b", "owner", true],
      ["adv-a", "admin", false],
    ]);
  });

  it("POST /auth/claim-owner: bad input, used links, and two claims of one link at once make one owner", async () => {
    const token = await ownerLinkOf("adv-f");
    await expectProblem(await postJson("/auth/claim-owner", { token }), 401, "unauthorized");
    await expectProblem(
      await postJson("/auth/claim-owner", { token }, { authorization: `Bearer ${t.adminToken}` }),
      401,
      "unauthorized",
    );
    await expectProblem(
      await alice.send("POST", "/auth/claim-owner", { token }, { origin: "https://evil.example" }),
      403,
      "csrf",
    );
    for (const body of [{}, { token: "" }, { token: 1 }, { token: "t".repeat(201) }, { token, extra: 1 }, null]) {
      await expectProblem(await alice.send("POST", "/auth/claim-owner", body), 400, "invalid_request");
    }
    await expectProblem(
      await raw(alice, "POST", "/auth/claim-owner", JSON.stringify({ token }), { "content-type": "text/plain" }),
      415,
      "unsupported_media_type",
    );
    for (const bad of [
      MARKER,
      `${token}x`,
      token.slice(1),
      await invitationToken(alice, "nobody@adv-f.example", "owner"),
    ]) {
      await expectProblem(await alice.send("POST", "/auth/claim-owner", { token: bad }), 400, "invalid_setup_token");
    }
    expect((await meOf(alice)).tenant.id).toBe("adv-a");
    const bobHome = await login("bob@adv-b.example");
    const claims = await Promise.all([
      alice.send("POST", "/auth/claim-owner", { token }),
      bobHome.send("POST", "/auth/claim-owner", { token }),
    ]);
    expect(claims.filter((r) => r.status === 200)).toHaveLength(1);
    const lost = claims.find((r) => r.status !== 200)!;
    await expectProblem(lost, lost.status, lost.status === 409 ? "owner_exists" : "invalid_setup_token");
    const winner = claims[0]!.status === 200 ? alice : bobHome;
    const loser = winner === alice ? bobHome : alice;
    expect((await membersSeenBy(winner)).map((m) => [m.email, m.role])).toEqual([[winner.email, "owner"]]);
    expect(await events(winner, "owner.link.claim")).toHaveLength(1);
    expect((await meOf(loser)).tenant.id).not.toBe("adv-f");
    await expectProblem(await loser.send("POST", "/me/tenant", { tenant: "adv-f" }), 404, "not_found");
    await expectProblem(await winner.send("POST", "/auth/claim-owner", { token }), 400, "invalid_setup_token");
    await expectProblem(
      await postJson(
        "/auth/setup-owner",
        { token, email: "late@adv-f.example", name: "Late", password: PASSWORD },
        {},
        freshIp(),
      ),
      400,
      "invalid_setup_token",
    );
    expect(
      (await postJson("/auth/login", { email: "late@adv-f.example", password: PASSWORD }, {}, freshIp())).status,
    ).toBe(401);
    expect((await winner.send("POST", "/me/tenant", { tenant: winner === alice ? "adv-a" : "adv-b" })).status).toBe(
      200,
    );
  });

  it("a switch racing a removal never leaves a session active in a tenant its person has left", async () => {
    const bobHome = await login("bob@adv-b.example");
    await inviteNew(bobHome, "ivy@adv-b.example", "viewer");
    const ivy = await login("ivy@adv-b.example");
    expect(
      (await ivy.send("POST", "/auth/join", { token: await invitationToken(alice, "ivy@adv-b.example", "viewer") }))
        .status,
    ).toBe(200);
    const ivyInB = await login("ivy@adv-b.example");
    const sessionId = (await meOf(ivyInB)).session.id as string;
    const ivyId = await idOf(alice, "ivy@adv-b.example");
    const ctx = testContext();
    const user = (await getUserById(ctx.db, ivyId))!;
    const session = (await getSession(ctx.db, "adv-b", sessionId))!;
    const [switched, removed] = await Promise.allSettled([
      switchTenant(ctx, { user, session }, "adv-a", { ip: null, userAgent: null }, Date.now()),
      removeMember(ctx, ownerActorOf("adv-a", alice.email), ivyId, Date.now()),
    ]);
    expect(removed.status).toBe("fulfilled");
    if (switched.status === "rejected") expect(switched.reason).toMatchObject({ code: "not_found", status: 404 });
    const row = await env.DB.prepare("select tenant_id from sessions where id = ?")
      .bind(sessionId)
      .first<{ tenant_id: string }>();
    expect(row?.tenant_id ?? "gone").toBe(switched.status === "fulfilled" ? "gone" : "adv-b");
    const intoA = (await events(alice, "session.tenant.switch")).filter((e) => e.target_id === sessionId);
    expect(intoA).toHaveLength(switched.status === "fulfilled" ? 1 : 0);
  });

  it("a signed-in sign-up by a person deleted meanwhile is 401 and creates nothing", async () => {
    const ctx = testContext({ ...env, SIGNUP_ENABLED: "true" });
    const gone = {
      ...(await getUserById(ctx.db, await idOf(alice, "alice@adv-a.example")))!,
      id: "usr_deletedmeanwhile",
    };
    await expect(
      signUpTenant(ctx, { id: "adv-ghost", name: "Ghost" }, { user: gone }, { ip: null, userAgent: null }, Date.now()),
    ).rejects.toMatchObject({ code: "unauthorized", status: 401 });
    expect(await tenantIsThere("adv-ghost")).toBe(false);
  });

  it("device approval by a person active in a tenant by membership: bad input, tools, replays, and a removal racing it", async () => {
    const form = (path: string, body: Record<string, string>) =>
      call(path, {
        method: "POST",
        ip: freshIp(),
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(body).toString(),
      });
    const start = async () =>
      json(await form("/oauth/device_authorization", { client_id: "latchkey-cli", hostname: "adv-box" }));
    const poll = (deviceCode: string) =>
      form("/oauth/token", { grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: "latchkey-cli" });
    const bobInA = await login("bob@adv-b.example");
    expect((await bobInA.send("POST", "/me/tenant", { tenant: "adv-a" })).status).toBe(200);
    const started = await start();
    const code = { user_code: started.user_code };
    await expectProblem(
      await bobInA.send("POST", "/device/approve", code, { origin: "https://evil.example" }),
      403,
      "csrf",
    );
    await expectProblem(await t.admin("POST", "/device/approve", code), 403, "forbidden");
    await expectProblem(
      await call("/api/v1/device/approve", {
        method: "POST",
        headers: { ...JSON_TYPE, origin: ISSUER },
        body: JSON.stringify(code),
      }),
      401,
      "unauthorized",
    );
    for (const body of [{}, { user_code: "" }, { user_code: "A".repeat(33) }, { ...code, tenant: "adv-b" }]) {
      await expectProblem(await bobInA.send("POST", "/device/approve", body), 400, "invalid_request");
    }
    await expectProblem(
      await bobInA.send("POST", "/device/approve", { user_code: "ZZZZ-ZZZZ" }),
      400,
      "invalid_user_code",
    );
    const approved = await bobInA.send("POST", "/device/approve", code);
    expect(approved.status).toBe(200);
    expect(await json(approved)).toMatchObject({ status: "approved", client_id: "latchkey-cli", hostname: "adv-box" });
    await expectProblem(await bobInA.send("POST", "/device/approve", code), 400, "invalid_user_code");
    await expectProblem(await bobInA.send("POST", "/device/deny", code), 400, "invalid_user_code");
    const approvals = (await events(alice, "device.approve")).filter((e) => e.actor === "user:bob@adv-b.example");
    expect(approvals).toHaveLength(1);
    expect(
      (await events(await login("bob@adv-b.example"), "device.approve")).filter((e) => e.detail.hostname === "adv-box"),
    ).toHaveLength(0);
    const minted = await poll(started.device_code);
    expect(minted.status).toBe(200);
    const tool = await json(minted);
    expect(decodeJwt(tool.access_token)).toMatchObject({ tenant: "adv-a", iss: `${ISSUER}/t/adv-a` });
    expect(tool.scope.split(" ")).toEqual(expect.not.arrayContaining(["members:write"]));
    // The tool's own token may not approve more tools.
    const next = await start();
    await expectProblem(
      await call("/api/v1/device/approve", {
        method: "POST",
        headers: { ...JSON_TYPE, authorization: `Bearer ${tool.access_token}` },
        body: JSON.stringify({ user_code: next.user_code }),
      }),
      403,
      "forbidden",
    );

    // Removal racing the approval: whichever lands first, the removed person's approval yields no token.
    const bobId = await idOf(alice, "bob@adv-b.example");
    const [removed, decided] = await Promise.all([
      alice.send("DELETE", `/members/${bobId}`),
      bobInA.send("POST", "/device/approve", { user_code: next.user_code }),
    ]);
    expect(removed.status).toBe(204);
    expect([200, 401]).toContain(decided.status);
    await decided.arrayBuffer();
    const after = await poll(next.device_code);
    expect(after.status).toBe(400);
    expect(["invalid_grant", "authorization_pending"]).toContain((await json(after)).error);
    expect((await call("/api/v1/me", { headers: { authorization: `Bearer ${tool.access_token}` } })).status).toBe(401);
  });

  it("GET /auth/options is public, GET only, and says nothing else", async () => {
    const res = await call("/api/v1/auth/options", { headers: { cookie: `${COOKIE}=${MARKER}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual({ signup_enabled: false });
    for (const method of ["POST", "PUT", "DELETE"]) {
      await expectProblem(await call("/api/v1/auth/options", { method, ip: freshIp() }), 401, "unauthorized");
    }
    await expectProblem(await call("/api/v1/auth/options/x"), 401, "unauthorized");
  });
});
