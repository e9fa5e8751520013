/**
 * What the SDK and the CLI trust: credentials go only to https:// URLs (plain http:// only to loopback),
 * refused before any network call with a message naming https; and the CLI prints server-supplied text only
 * with its control characters stripped, so a server cannot inject terminal escape sequences.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTokenSource, createVerifier, discover, requestToken } from "../../src/client/index.js";
import { isLoopbackHost } from "../../src/client/secure-url.js";
import { removeTempDirs, runCli, tempConfigDir } from "./cli-helpers.js";
import { startFakeLatchkey, type FakeLatchkey } from "./fake-latchkey.js";

const ESC = "\u001b";
const HOSTILE = `${ESC}[2J${ESC}]0;pwned\u0007\r\u009b31mred\u202eevil\nnext`;
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/;

let fake: FakeLatchkey;
beforeAll(async () => {
  fake = await startFakeLatchkey();
});
afterAll(async () => {
  await fake.close();
  await removeTempDirs();
});

const countingFetch = () => {
  const calls: string[] = [];
  const impl = async (input: string | URL | Request) => {
    calls.push(String(input));
    return new Response("{}", { status: 500 });
  };
  return { calls, impl };
};

describe("SDK: https only, loopback excepted", () => {
  it("knows loopback: 127.0.0.0/8, ::1, localhost, and nothing else", () => {
    for (const host of ["127.0.0.1", "127.8.9.10", "[::1]", "localhost", "LOCALHOST"])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ["128.0.0.1", "10.0.0.1", "[::2]", "localhost.evil.com", "example.com", "127.0.0.1.nip.io"])
      expect(isLoopbackHost(host), host).toBe(false);
  });

  it("refuses http:// issuers and endpoints in createTokenSource, createVerifier, discover and requestToken before any request", async () => {
    const { calls, impl } = countingFetch();
    for (const issuer of [
      "http://latchkey.example.com",
      "http://10.0.0.5:8787",
      "http://[::2]",
      "ftp://latchkey.example.com",
    ]) {
      expect(() => createTokenSource({ issuer, clientId: "lkc_x", clientSecret: "s", fetch: impl }), issuer).toThrow(
        /https:\/\//,
      );
      expect(() => createVerifier({ issuer, audience: "https://api", fetch: impl }), issuer).toThrow(/https:\/\//);
      await expect(discover(issuer, { fetch: impl })).rejects.toThrow(/https:\/\//);
    }
    expect(() =>
      createTokenSource({
        issuer: "https://ok.example",
        tokenEndpoint: "http://evil.example/oauth/token",
        clientId: "x",
        clientSecret: "s",
      }),
    ).toThrow(/https/);
    expect(() =>
      createVerifier({ issuer: "https://ok.example", jwksUri: "http://evil.example/jwks", audience: "a" }),
    ).toThrow(/https/);
    await expect(
      requestToken({
        tokenEndpoint: "http://evil.example/oauth/token",
        credential: { method: "client_secret_basic", clientId: "x", clientSecret: "s" },
        fetch: impl,
      }),
    ).rejects.toThrow(/https/);
    expect(calls).toEqual([]);
    for (const issuer of [
      "http://127.0.0.1:8787",
      "http://localhost:8787",
      "http://[::1]:8787",
      "https://latchkey.example.com",
    ]) {
      expect(() => createTokenSource({ issuer, clientId: "lkc_x", clientSecret: "s" }), issuer).not.toThrow();
      expect(() => createVerifier({ issuer, audience: "https://api" }), issuer).not.toThrow();
    }
  });

  it("refuses metadata whose token_endpoint or jwks_uri is not https", async () => {
    fake.override = (r) =>
      r.path === "/.well-known/oauth-authorization-server"
        ? {
            status: 200,
            body: { issuer: fake.url, token_endpoint: "http://evil.example/oauth/token", jwks_uri: `${fake.url}/jwks` },
          }
        : undefined;
    await expect(discover(fake.url)).rejects.toMatchObject({
      code: "invalid_response",
      message: expect.stringContaining("token_endpoint"),
    });
    fake.override = undefined;
  });
});

describe("CLI: https only, loopback excepted", () => {
  it("refuses http:// servers for setup and LATCHKEY_URL with exit 2 before any request, naming https", async () => {
    const { calls, impl } = countingFetch();
    const dir = await tempConfigDir();
    for (const server of ["http://latchkey.example.com", "http://192.168.1.10:8787"]) {
      const r = await runCli(["setup", server, "lksc_abc"], { env: { LATCHKEY_CONFIG_DIR: dir }, io: { fetch: impl } });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("https://");
      const e = await runCli(["token"], {
        env: {
          LATCHKEY_CONFIG_DIR: dir,
          LATCHKEY_URL: server,
          LATCHKEY_CLIENT_ID: "lkc_x",
          LATCHKEY_CLIENT_SECRET: "s",
        },
        io: { fetch: impl },
      });
      expect(e.code).toBe(2);
      expect(e.stderr).toContain("https://");
    }
    expect(calls).toEqual([]);
  });

  it("refuses to store a setup answer whose token endpoint is not https", async () => {
    const dir = await tempConfigDir();
    const code = `lksc_${crypto.randomUUID()}`;
    fake.codes.add(code);
    fake.override = (r) =>
      r.path === "/setup/redeem"
        ? {
            status: 200,
            body: {
              issuer: fake.url,
              token_endpoint: "http://evil.example/oauth/token",
              client_id: "lkc_x",
              client_secret: "lks_x",
              mode: "secret",
            },
          }
        : undefined;
    const r = await runCli(["setup", fake.url, code, "--secret"], { env: { LATCHKEY_CONFIG_DIR: dir } });
    fake.override = undefined;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("not https://");
  });
});

describe("CLI: server text is printed without control characters", () => {
  it("strips escapes from setup refusals, token errors and the token itself", async () => {
    const dir = await tempConfigDir();
    const env = { LATCHKEY_CONFIG_DIR: dir };
    fake.override = (r) =>
      r.path === "/setup/redeem"
        ? { status: 400, body: { status: 400, code: `odd${HOSTILE}`, detail: `detail${HOSTILE}` } }
        : undefined;
    const refused = await runCli(["setup", fake.url, "lksc_abc", "--secret"], { env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("odd");
    expect(refused.stderr).toContain("redevil");
    expect(refused.stderr).not.toMatch(CONTROL);
    expect(refused.stderr.trimEnd().split("\n")).toHaveLength(1);

    fake.clients.set("lkc_hostile", { secret: "lks_hostile", label: "h" });
    const base = {
      ...env,
      LATCHKEY_URL: fake.url,
      LATCHKEY_CLIENT_ID: "lkc_hostile",
      LATCHKEY_CLIENT_SECRET: "lks_hostile",
    };
    fake.override = (r) =>
      r.path === "/oauth/token"
        ? { status: 400, body: { error: `weird${HOSTILE}`, error_description: `why${HOSTILE}` } }
        : undefined;
    const error = await runCli(["token", "--no-cache"], { env: base });
    expect(error.code).toBe(1);
    expect(error.stderr).toContain("weird");
    expect(error.stderr).not.toMatch(CONTROL);

    fake.override = (r) =>
      r.path === "/oauth/token"
        ? { status: 200, body: { access_token: `abc${HOSTILE}`, token_type: "Bearer", expires_in: 60 } }
        : undefined;
    const token = await runCli(["token", "--no-cache"], { env: base });
    fake.override = undefined;
    expect(token.code).toBe(0);
    expect(token.stdout).toBe("abc[2J]0;pwned31mredevilnext\n");
  });
});
