/**
 * The SDK's revocation feed on its own, with feeds signed here by a local key: what it refuses to take as a
 * feed (another `typ`, such as an access token; another issuer; an expired feed; malformed lists; a 304 it
 * never asked for), that a refused feed leaves the last good one in force, and that the feed URL must be https.
 * The end-to-end behaviour against the real server is test/e2e/revocation-feed.e2e.test.ts.
 */
import { createLocalJWKSet, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { LatchkeyError, TokenVerificationError } from "../../src/client/errors";
import { createRevocationFeed, REVOCATION_FEED_TYP } from "../../src/client/revocation-feed";

const ISSUER = "https://latchkey.test";
let privateKey: Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];
let keys: ReturnType<typeof createLocalJWKSet>;

beforeAll(async () => {
  const pair = await generateKeyPair("ES256", { extractable: true });
  privateKey = pair.privateKey;
  keys = createLocalJWKSet({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256" }] });
});

function sign(claims: JWTPayload, typ = REVOCATION_FEED_TYP): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: ISSUER, iat: now, exp: now + 300, ...claims })
    .setProtectedHeader({ alg: "ES256", kid: "k1", typ })
    .sign(privateKey);
}

/** A feed whose server answers each fetch with the next of `answers`. */
function feedServedBy(answers: (() => Promise<Response>)[]) {
  const outcomes: string[] = [];
  const feed = createRevocationFeed(
    {
      issuer: ISSUER,
      keys: async () => keys,
      algorithms: ["ES256"],
      fetch: () => (answers.shift() ?? (() => Promise.reject(new TypeError("no more answers"))))(),
    },
    { scheduler: { setTimeout: () => 0, clearTimeout: () => undefined }, onRefresh: (r) => outcomes.push(r.outcome) },
  );
  return { feed, outcomes };
}

const ok =
  (body: string, etag = '"v1"') =>
  () =>
    Promise.resolve(new Response(body, { status: 200, headers: { etag } }));
const LISTS = {
  revoked_clients: [{ client_id: "lkc_a", not_before: 2_000_000_000 }],
  revoked_jtis: [{ jti: "j1", exp: 1 }],
};

describe("the revocation feed", () => {
  it("refuses tokens the feed names: a listed jti, or a listed client's token issued before not_before", async () => {
    const { feed } = feedServedBy([ok(await sign(LISTS))]);
    await expect(feed.check({ client_id: "lkc_b", jti: "j1", iat: 1 })).rejects.toBeInstanceOf(TokenVerificationError);
    await expect(feed.check({ client_id: "lkc_a", jti: "j2", iat: 1_999_999_999 })).rejects.toBeInstanceOf(
      TokenVerificationError,
    );
    await expect(feed.check({ client_id: "lkc_a", jti: "j2", iat: 2_000_000_000 })).resolves.toBeUndefined();
  });

  it("takes no other typ (an access token), issuer, expired feed, malformed lists or unasked 304 as a feed", async () => {
    const now = Math.floor(Date.now() / 1000);
    const bad = [
      ok(await sign(LISTS, "at+jwt")),
      ok(await sign({ ...LISTS, iss: "https://elsewhere.test" })),
      ok(await sign({ ...LISTS, iat: now - 900, exp: now - 600 })),
      ok(await sign({ revoked_clients: [{ client_id: 7 }], revoked_jtis: [] })),
      ok(await sign({ revoked_clients: "none" })),
      () => Promise.resolve(new Response(null, { status: 304 })),
      () => Promise.resolve(new Response("{}", { status: 500 })),
    ];
    for (const answer of bad) {
      const { feed, outcomes } = feedServedBy([answer]);
      const error = await feed.check({ client_id: "lkc_z", jti: "z", iat: 1 }).catch((e: unknown) => e);
      expect(outcomes).toEqual(["failed"]);
      expect(error).toBeInstanceOf(LatchkeyError);
      expect((error as LatchkeyError).code).toBe("revocation_unavailable");
    }
  });

  it("keeps the last verified feed when a later one is refused", async () => {
    const forged = (await sign({ revoked_clients: [], revoked_jtis: [] })).replace(/\.[^.]+$/, ".AAAA");
    const { feed, outcomes } = feedServedBy([ok(await sign(LISTS)), ok(forged, '"v2"')]);
    await expect(feed.check({ client_id: "x", jti: "j1", iat: 1 })).rejects.toBeInstanceOf(TokenVerificationError);
    expect((await feed.refresh()).outcome).toBe("failed");
    await expect(feed.check({ client_id: "x", jti: "j1", iat: 1 })).rejects.toBeInstanceOf(TokenVerificationError);
    expect(outcomes).toEqual(["updated", "failed"]);
  });

  it("refuses a feed URL that is not https before any request", () => {
    const source = { issuer: ISSUER, keys: async () => keys, algorithms: ["ES256"], fetch };
    expect(() => createRevocationFeed(source, { uri: "http://latchkey.example/feed" })).toThrow(TypeError);
  });
});
