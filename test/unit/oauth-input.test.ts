/**
 * Reading an OAuth request before anything touches storage: the form reader (src/oauth/form.ts:
 * content types, the 8 KiB cap declared and streamed, duplicates, empty values, non-UTF-8) and the client
 * credentials a request presents (src/oauth/client-auth/presented.ts: RFC 6749 section 2.3.1 Basic with
 * form-decoding, one method per request, no credentials in the query). Errors are asserted as the OAuthError
 * they throw: code, fixed description, Basic challenge, and that a private reason is kept for the log.
 * Both modules in one file, past 200 lines, because workerd starts once per test file.
 */
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { OAUTH_DESCRIPTIONS as D, OAuthError } from "../../src/domain/errors";
import {
  claimedClientId,
  JWT_BEARER_ASSERTION,
  parseBasic,
  presentedCredentials,
} from "../../src/oauth/client-auth/presented";
import { readOAuthForm } from "../../src/oauth/form";
import { MAX_FORM_BYTES } from "../../src/tunables";

const ID = "lkc_BBBBBBBBBBBBBBBBBBBBBB";
const FORM = "application/x-www-form-urlencoded";
const TOKEN_URL = new URL("https://latchkey.test/oauth/token");

/** `Basic` + base64 of the bytes of `text` taken as Latin-1 (so a test can send bytes that are not UTF-8). */
const basicOf = (text: string) => `Basic ${btoa(text)}`;
const basicUtf8 = (text: string) => `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(text)))}`;

function thrown(fn: () => unknown): OAuthError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OAuthError);
    return err as OAuthError;
  }
  throw new Error("expected an OAuthError");
}

function expectInvalidClient(err: OAuthError, basicChallenge: boolean) {
  expect({
    code: err.code,
    description: err.description,
    status: err.status,
    basicChallenge: err.basicChallenge,
  }).toEqual({
    code: "invalid_client",
    description: D.invalidClient,
    status: 401,
    basicChallenge,
  });
  expect(err.reason).toEqual(expect.any(String));
}

describe("parseBasic (RFC 6749 section 2.3.1)", () => {
  it("decodes client_id and secret, the scheme in any case and with extra spaces", () => {
    for (const scheme of ["Basic", "basic", "BASIC"])
      expect(parseBasic(`${scheme} ${btoa("id:secret")}`)).toEqual({ clientId: "id", secret: "secret" });
    expect(parseBasic(`Basic   ${btoa("id:secret")}  `)).toEqual({ clientId: "id", secret: "secret" });
  });

  it("form-decodes both parts: + is a space, %XX is a byte of UTF-8, and %3A a colon", () => {
    expect(parseBasic(basicOf("my+client:p%40ss+word"))).toEqual({ clientId: "my client", secret: "p@ss word" });
    expect(parseBasic(basicOf("a%3Ab:c%2Bd"))).toEqual({ clientId: "a:b", secret: "c+d" });
    expect(parseBasic(basicOf("%C3%A9:%E2%9C%93"))).toEqual({ clientId: "é", secret: "✓" });
  });

  it("splits at the first colon: a secret may contain raw colons, a client_id cannot", () => {
    expect(parseBasic(basicOf("id:se:cr:et"))).toEqual({ clientId: "id", secret: "se:cr:et" });
  });

  it("accepts raw UTF-8 in the decoded credentials", () => {
    expect(parseBasic(basicUtf8("clé:sécret"))).toEqual({ clientId: "clé", secret: "sécret" });
  });

  it.each([
    ["no credentials after the scheme", "Basic"],
    ["another scheme", `Bearer ${btoa("id:secret")}`],
    ["characters outside base64", "Basic aWQ6c2VjcmV0!"],
    ["base64url instead of base64", "Basic _-_-"],
    ["three padding characters", "Basic aWQ6cw==="],
    ["base64 of an impossible length", "Basic aWQ6c"],
    ["bytes that are not UTF-8", basicOf("\xff\xfe:secret")],
    ["no colon", basicOf("idsecret")],
    ["an empty client_id", basicOf(":secret")],
    ["an empty secret", basicOf("id:")],
    ["both empty", basicOf(":")],
    ["a bad percent-escape in the secret", basicOf("id:%ZZ")],
    ["a percent-escape that is not UTF-8", basicOf("%FF:secret")],
  ])("refuses %s with invalid_client and a Basic challenge", (_case, header) => {
    expectInvalidClient(
      thrown(() => parseBasic(header)),
      true,
    );
  });
});

describe("presentedCredentials (RFC 6749 section 2.3, RFC 7523 section 2.2)", () => {
  const form = (entries: Record<string, string>) => new Map(Object.entries(entries));
  const basic = `Basic ${btoa(`${ID}:lks_secret`)}`;

  it("recognises each method", () => {
    expect(presentedCredentials(TOKEN_URL, basic, form({}))).toEqual({
      method: "client_secret_basic",
      clientId: ID,
      secret: "lks_secret",
    });
    expect(presentedCredentials(TOKEN_URL, basic, form({ client_id: ID }))).toEqual({
      method: "client_secret_basic",
      clientId: ID,
      secret: "lks_secret",
    });
    expect(presentedCredentials(TOKEN_URL, undefined, form({ client_id: ID, client_secret: "s" }))).toEqual({
      method: "client_secret_post",
      clientId: ID,
      secret: "s",
    });
    expect(
      presentedCredentials(
        TOKEN_URL,
        undefined,
        form({ client_assertion_type: JWT_BEARER_ASSERTION, client_assertion: "a.b.c" }),
      ),
    ).toEqual({
      method: "private_key_jwt",
      clientId: undefined,
      assertion: "a.b.c",
    });
  });

  it.each(["client_id", "client_secret", "client_assertion", "client_assertion_type"])(
    "refuses %s in the query string, whatever else is sent",
    (name) => {
      const err = thrown(() => presentedCredentials(new URL(`${TOKEN_URL}?${name}=x`), basic, form({})));
      expect([err.code, err.description, err.status]).toEqual(["invalid_request", D.credentialsInQuery, 400]);
    },
  );

  it.each([
    ["Basic and client_secret", basic, { client_id: ID, client_secret: "s" }],
    ["Basic and a client assertion", basic, { client_assertion_type: JWT_BEARER_ASSERTION, client_assertion: "a.b.c" }],
    ["Basic and a lone client_assertion_type", basic, { client_assertion_type: JWT_BEARER_ASSERTION }],
    [
      "client_secret and a client assertion",
      undefined,
      { client_id: ID, client_secret: "s", client_assertion: "a.b.c" },
    ],
  ])("refuses two methods at once: %s", (_case, authorization, entries) => {
    const err = thrown(() => presentedCredentials(TOKEN_URL, authorization, form(entries)));
    expect([err.code, err.description, err.basicChallenge]).toEqual(["invalid_request", D.twoAuthMethods, false]);
  });

  it("refuses a body client_id that differs from the Basic one, with a challenge", () => {
    expectInvalidClient(
      thrown(() => presentedCredentials(TOKEN_URL, basic, form({ client_id: "lkc_CCCCCCCCCCCCCCCCCCCCCC" }))),
      true,
    );
  });

  it.each([
    ["no credentials", undefined, {}],
    ["a Bearer header only", "Bearer abc", {}],
    ["client_secret without client_id", undefined, { client_secret: "s" }],
    ["an assertion of another type", undefined, { client_assertion_type: "urn:other", client_assertion: "a.b.c" }],
    ["an assertion type without an assertion", undefined, { client_assertion_type: JWT_BEARER_ASSERTION }],
    ["an assertion without its type", undefined, { client_assertion: "a.b.c" }],
  ])("answers %s with invalid_client and no challenge", (_case, authorization, entries) => {
    expectInvalidClient(
      thrown(() => presentedCredentials(TOKEN_URL, authorization, form(entries))),
      false,
    );
  });
});

describe("claimedClientId", () => {
  const unsigned = (claims: object) =>
    `${btoa(JSON.stringify({ alg: "ES256" }))}.${btoa(JSON.stringify(claims)).replace(/=+$/, "")}.sig`;

  it("is the presented client_id, or an assertion's unverified iss, when shaped like a client id", () => {
    expect(claimedClientId(undefined)).toBeNull();
    expect(claimedClientId({ method: "client_secret_post", clientId: ID, secret: "s" })).toBe(ID);
    expect(claimedClientId({ method: "client_secret_basic", clientId: "not-an-id", secret: "s" })).toBeNull();
    expect(claimedClientId({ method: "private_key_jwt", clientId: undefined, assertion: unsigned({ iss: ID }) })).toBe(
      ID,
    );
    expect(
      claimedClientId({ method: "private_key_jwt", clientId: undefined, assertion: unsigned({ iss: "lkc_short" }) }),
    ).toBeNull();
    expect(claimedClientId({ method: "private_key_jwt", clientId: undefined, assertion: "junk" })).toBeNull();
  });
});

/** Runs readOAuthForm inside a one-route hono app, returning its parameters or the error it threw. */
async function readForm(
  body: BodyInit | null,
  headers: Record<string, string> = { "content-type": FORM },
): Promise<Record<string, string> | OAuthError> {
  let result: Record<string, string> | OAuthError = {};
  const app = new Hono();
  app.post("/", async (c) => {
    try {
      result = Object.fromEntries(await readOAuthForm(c.req.raw));
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      result = err;
    }
    return c.body(null, 204);
  });
  expect((await app.request("/", { method: "POST", body, headers })).status).toBe(204);
  return result;
}

function streamOf(size: number): ReadableStream<Uint8Array> {
  const chunk = new TextEncoder().encode(`a=${"x".repeat(1022)}&`.slice(0, 1024));
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

function expectInvalidRequest(result: Record<string, string> | OAuthError, description: string) {
  expect(result).toBeInstanceOf(OAuthError);
  const err = result as OAuthError;
  expect([err.code, err.description, err.status]).toEqual(["invalid_request", description, 400]);
}

describe("readOAuthForm (RFC 6749 sections 3.2 and 4.4.2)", () => {
  it("reads form-urlencoded parameters, with any charset parameter and in any case", async () => {
    for (const type of [FORM, `${FORM}; charset=UTF-8`, "Application/X-WWW-Form-URLEncoded"]) {
      expect(await readForm("grant_type=client_credentials&scope=a+b%3Ac", { "content-type": type }), type).toEqual({
        grant_type: "client_credentials",
        scope: "a b:c",
      });
    }
  });

  it.each([["application/json"], ["multipart/form-data; boundary=x"], ["text/plain"], [""]])(
    "refuses the content type %j",
    async (type) => {
      expectInvalidRequest(
        await readForm("grant_type=client_credentials", type ? { "content-type": type } : {}),
        D.notForm,
      );
    },
  );

  it("treats empty values as omitted, and an empty body as no parameters", async () => {
    expect(await readForm("grant_type=client_credentials&scope=&resource")).toEqual({
      grant_type: "client_credentials",
    });
    expect(await readForm("")).toEqual({});
    expect(await readForm(null)).toEqual({});
  });

  it("refuses any parameter sent twice, even when one of the values is empty", async () => {
    for (const body of ["scope=a&scope=b", "scope=a&scope=a", "scope=&scope=a", "scope=a&scope="]) {
      expectInvalidRequest(await readForm(`grant_type=client_credentials&${body}`), D.duplicateParameter);
    }
  });

  it("takes exactly 8 KiB and refuses one byte more, declared or streamed", async () => {
    const exact = `a=${"x".repeat(MAX_FORM_BYTES - 2)}`;
    expect(MAX_FORM_BYTES).toBe(8192);
    expect(
      (
        (await readForm(exact, { "content-type": FORM, "content-length": String(MAX_FORM_BYTES) })) as Record<
          string,
          string
        >
      ).a,
    ).toHaveLength(MAX_FORM_BYTES - 2);
    expectInvalidRequest(
      await readForm(`${exact}x`, { "content-type": FORM, "content-length": String(MAX_FORM_BYTES + 1) }),
      D.bodyTooLarge,
    );
    expect(await readForm(streamOf(MAX_FORM_BYTES))).not.toBeInstanceOf(OAuthError);
    expectInvalidRequest(await readForm(streamOf(MAX_FORM_BYTES + 1)), D.bodyTooLarge);
    expectInvalidRequest(await readForm(streamOf(1024 * 1024)), D.bodyTooLarge);
  });

  it("refuses a declared length over the cap before reading the body", async () => {
    expectInvalidRequest(await readForm("a=1", { "content-type": FORM, "content-length": "1000000" }), D.bodyTooLarge);
  });

  it("refuses a body that is not UTF-8, keeping the reason for the log", async () => {
    const latin1 = new Uint8Array([...new TextEncoder().encode("grant_type=client_credentials&scope="), 0xe9]);
    const err = (await readForm(latin1)) as OAuthError;
    expectInvalidRequest(err, D.notForm);
    expect(err.reason).toBe("body is not UTF-8");
  });

  it("decodes percent-escapes as UTF-8 and drops a leading byte-order mark", async () => {
    expect(await readForm("scope=caf%C3%A9")).toEqual({ scope: "café" });
    expect(await readForm(new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode("grant_type=x")]))).toEqual({
      grant_type: "x",
    });
  });
});
