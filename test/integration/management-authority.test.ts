/**
 * Latchkey's own powers through the real Worker: a caller confers or takes over only the management scopes
 * it holds (create, PATCH, rotate, setup code; refusals are 403 with nothing written), for machines and
 * people alike, while tenant API scopes stay with credentials:write; and management tokens die with the
 * secret or key that minted them (retired or expired), whatever their exp says.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { signAccessToken } from "../../src/crypto/access-token";
import { buildAccessTokenClaims } from "../../src/domain/token-claims";
import { keyRing } from "../../src/services/signing-key-ring";
import { createOwner, invite } from "../support/console";
import { JWT_BEARER, newClientKey, redeem, signAssertion } from "../support/client-keys";
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
import { expectProblem } from "../support/wire";

const MGMT = "urn:latchkey:management";
const ALL = ["audit:read", "credentials:read", "credentials:write", "resources:read", "resources:write"];
const DOCS = "https://docs.example.com/api";
/** The full admin of the default tenant, and a management credential holding credentials:write only. */
let full: TestTenant;
let writer: TestTenant;
let bootstrapId: string;

const label = () => `a-${crypto.randomUUID().slice(0, 8)}`;
const json = async (res: Response) => (await res.json()) as Record<string, unknown>;

/** 403 with nothing written: the management scopes the caller lacks, named. */
const expectBeyondAuthority = (res: Response, detail: RegExp, missing: string[]) =>
  expectProblem(res, 403, "forbidden", {
    body: {
      type: "https://latchkey.dev/problems/forbidden",
      title: "Forbidden",
      status: 403,
      detail: expect.stringMatching(detail),
      code: "forbidden",
      missing_scopes: missing,
    },
  });

async function auditOf(query: string) {
  return (await json(await full.admin("GET", `/audit?${query}`))).events as {
    action: string;
    detail: Record<string, unknown>;
  }[];
}

async function detail(id: string, tenant = full) {
  return (await json(await tenant.admin("GET", `/credentials/${id}`))) as {
    grants: unknown;
    secrets: { id: string; status: string }[];
    setup: unknown;
  };
}

function mint(clientId: string, secret: string, scope?: string) {
  return tokenRequest(
    { grant_type: "client_credentials", resource: MGMT, ...(scope ? { scope } : {}) },
    { basic: [clientId, secret], ip: freshIp() },
  );
}

const bearer = (token: string) => call("/api/v1/credentials", { headers: { authorization: `Bearer ${token}` } });

beforeAll(async () => {
  full = await setupTenant("default");
  writer = await setupTenant("default", ["credentials:write"]);
  expect(
    (
      await full.admin("POST", "/resources", {
        uri: DOCS,
        name: "Docs",
        scopes: [{ name: "docs:read" }, { name: "docs:write", write: true }],
      })
    ).status,
  ).toBe(201);
  const boot = await call("/api/v1/bootstrap", {
    method: "POST",
    headers: { authorization: `Bearer ${env.BOOTSTRAP_TOKEN}`, "content-type": "application/json" },
    body: "{}",
    ip: freshIp(),
  });
  expect(boot.status).toBe(201);
  bootstrapId = (await json(boot)).client_id as string;
});

describe("the authority rule", () => {
  it("refuses to create a credential with management scopes the caller lacks, by secret or setup code, writing nothing", async () => {
    for (const delivery of ["secret", "setup_code"]) {
      const name = label();
      const res = await writer.admin("POST", "/credentials", {
        label: name,
        delivery,
        grants: [{ resource: MGMT, scopes: ["credentials:write", "credentials:read", "resources:write"] }],
      });
      await expectBeyondAuthority(res, /^You can grant only the management scopes you hold yourself\.$/, [
        "credentials:read",
        "resources:write",
      ]);
      const listed = (await json(await full.admin("GET", "/credentials"))).credentials as { label: string }[];
      expect(listed.map((c) => c.label)).not.toContain(name);
      expect((await auditOf("action=credential.create")).filter((e) => e.detail.label === name)).toEqual([]);
    }
  });

  it("lets the caller grant what it holds, and any tenant API scope as credentials:write always did", async () => {
    const res = await writer.admin("POST", "/credentials", {
      label: label(),
      grants: [
        { resource: MGMT, scopes: ["credentials:write"] },
        { resource: DOCS, scopes: ["docs:read", "docs:write"] },
      ],
    });
    expect(res.status).toBe(201);
    expect(await json(res)).toMatchObject({
      grants: [
        { resource: MGMT, scopes: ["credentials:write"] },
        { resource: DOCS, scopes: ["docs:read", "docs:write"] },
      ],
    });
    const coded = await writer.admin("POST", "/credentials", {
      label: label(),
      delivery: "setup_code",
      grants: [{ resource: DOCS, scopes: ["docs:write"] }],
    });
    expect(coded.status).toBe(201);
    const admin = await full.admin("POST", "/credentials", {
      label: label(),
      grants: [{ resource: MGMT, scopes: ALL }],
    });
    expect(admin.status).toBe(201);
  });

  it("refuses a PATCH whose grants keep management scopes the caller lacks; the credential is unchanged", async () => {
    const before = await detail(bootstrapId);
    const res = await writer.admin("PATCH", `/credentials/${bootstrapId}`, {
      grants: [{ resource: MGMT, scopes: ["credentials:read", "credentials:write"] }],
    });
    await expectBeyondAuthority(res, /^You can grant only/, ["credentials:read"]);
    expect((await detail(bootstrapId)).grants).toEqual(before.grants);
    expect(await auditOf(`action=credential.update&target=${bootstrapId}`)).toEqual([]);
    const docsOnly = (
      await json(
        await writer.admin("POST", "/credentials", {
          label: label(),
          grants: [{ resource: DOCS, scopes: ["docs:read", "docs:write"] }],
        }),
      )
    ).id as string;
    expect(
      (await writer.admin("PATCH", `/credentials/${docsOnly}`, { grants: [{ resource: DOCS, scopes: ["docs:read"] }] }))
        .status,
    ).toBe(200);
  });

  it("refuses to rotate the secret of, or issue a setup code for, a credential holding more management scopes than the caller", async () => {
    for (const target of [bootstrapId, full.adminClientId]) {
      const before = await detail(target);
      const rotate = await writer.admin("POST", `/credentials/${target}/secrets`, { grace_period_seconds: 0 });
      await expectBeyondAuthority(rotate, /holds management scopes you do not hold/, [
        "audit:read",
        "credentials:read",
        "resources:read",
        "resources:write",
        "tokens:introspect",
        "webhooks:read",
        "webhooks:write",
      ]);
      const code = await writer.admin("POST", `/credentials/${target}/setup-codes`, {});
      await expectBeyondAuthority(code, /holds management scopes you do not hold/, [
        "audit:read",
        "credentials:read",
        "resources:read",
        "resources:write",
        "tokens:introspect",
        "webhooks:read",
        "webhooks:write",
      ]);
      const after = await detail(target);
      expect(after.secrets).toEqual(before.secrets);
      expect(after.setup).toEqual(before.setup);
      expect(await auditOf(`target=${target}&action=credential.secret.rotate`)).toEqual([]);
      expect(await auditOf(`target=${target}&action=credential.setup_code.create`)).toEqual([]);
    }
  });

  it("judges a narrowed token by the scopes it carries, not by everything its credential holds", async () => {
    const narrowed = (await json(await mint(full.adminClientId, full.adminSecret, "credentials:write")))
      .access_token as string;
    const res = await call(`/api/v1/credentials/${bootstrapId}/setup-codes`, {
      method: "POST",
      headers: { authorization: `Bearer ${narrowed}`, "content-type": "application/json" },
      body: "{}",
    });
    await expectBeyondAuthority(res, /holds management scopes you do not hold/, [
      "audit:read",
      "credentials:read",
      "resources:read",
      "resources:write",
      "tokens:introspect",
      "webhooks:read",
      "webhooks:write",
    ]);
  });

  it("lets a caller holding every scope the target holds rotate it and give it a setup code", async () => {
    const docsOnly = (
      await json(
        await writer.admin("POST", "/credentials", {
          label: label(),
          grants: [{ resource: DOCS, scopes: ["docs:write"] }],
        }),
      )
    ).id as string;
    for (const [caller, target] of [
      [writer, docsOnly],
      [writer, writer.adminClientId],
      [full, bootstrapId],
    ] as const) {
      expect((await caller.admin("POST", `/credentials/${target}/secrets`, {})).status).toBe(201);
      expect((await caller.admin("POST", `/credentials/${target}/setup-codes`, {})).status).toBe(201);
    }
  });

  it("applies to people through their role's scopes: an admin may create a full management credential", async () => {
    const owner = await createOwner();
    const admin = await invite(owner, "ada@example.com", "admin");
    for (const person of [owner, admin]) {
      const res = await person.send("POST", "/credentials", {
        label: label(),
        grants: [{ resource: MGMT, scopes: ALL }],
      });
      expect(res.status).toBe(201);
      expect(await json(res)).toMatchObject({
        created_by: `user:${person.email}`,
        grants: [{ resource: MGMT, scopes: ALL }],
      });
    }
  });
});

describe("management tokens bound to their authenticator", () => {
  it("refuses a token minted with a secret once that secret is retired; a token of the new secret works", async () => {
    const m = await setupTenant("default");
    const oldSecretId = (await detail(m.adminClientId, m)).secrets[0]!.id;
    const rotated = await json(
      await m.admin("POST", `/credentials/${m.adminClientId}/secrets`, { grace_period_seconds: 3600 }),
    );
    const fresh = (await json(await mint(m.adminClientId, rotated.client_secret as string))).access_token as string;
    expect((await bearer(m.adminToken)).status).toBe(200);
    expect(
      (
        await call(`/api/v1/credentials/${m.adminClientId}/secrets/${oldSecretId}`, {
          method: "DELETE",
          headers: { authorization: `Bearer ${fresh}` },
        })
      ).status,
    ).toBe(200);
    const refused = await bearer(m.adminToken);
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toBe('Bearer realm="latchkey"');
    expect(await json(refused)).toMatchObject({ status: 401, code: "unauthorized" });
    expect((await bearer(fresh)).status).toBe(200);
  });

  it("refuses a token whose secret expired at the end of a rotation's grace period", async () => {
    const m = await setupTenant("default");
    const rotated = await json(
      await m.admin("POST", `/credentials/${m.adminClientId}/secrets`, { grace_period_seconds: 0 }),
    );
    expect((await bearer(m.adminToken)).status).toBe(401);
    const fresh = (await json(await mint(m.adminClientId, rotated.client_secret as string))).access_token as string;
    expect((await bearer(fresh)).status).toBe(200);
  });

  it("refuses a token minted with a key once the key is retired", async () => {
    const m = await setupTenant("default");
    const code = (
      (await json(await m.admin("POST", `/credentials/${m.adminClientId}/setup-codes`, {}))).setup_code as {
        code: string;
      }
    ).code;
    const key = await newClientKey();
    expect((await redeem({ code, mode: "key", public_jwk: key.publicJwk })).status).toBe(200);
    const minted = await tokenRequest(
      {
        grant_type: "client_credentials",
        resource: MGMT,
        client_assertion_type: JWT_BEARER,
        client_assertion: await signAssertion(key, m.adminClientId),
      },
      { ip: freshIp() },
    );
    expect(minted.status).toBe(200);
    const keyToken = (await json(minted)).access_token as string;
    expect((await bearer(keyToken)).status).toBe(200);
    expect((await m.admin("DELETE", `/credentials/${m.adminClientId}/keys/${key.thumbprint}`)).status).toBe(200);
    expect((await bearer(keyToken)).status).toBe(401);
    expect((await bearer(m.adminToken)).status).toBe(200);
  });

  it("refuses a validly signed management token that names no authenticator, or one its credential does not own", async () => {
    const m = await setupTenant("default");
    const other = await setupTenant("default");
    const secretId = (await detail(m.adminClientId, m)).secrets[0]!.id;
    const otherSecretId = (await detail(other.adminClientId, other)).secrets[0]!.id;
    const nowMs = Date.now();
    const { signer } = await keyRing(testContext(), nowMs);
    const forge = async (authenticatorId: string | undefined) => {
      const claims = buildAccessTokenClaims({
        issuer: ISSUER,
        clientId: m.adminClientId,
        label: "x",
        tenantId: "default",
        groups: [],
        resource: MGMT,
        scopes: ALL,
        lifetimeSeconds: 300,
        jti: crypto.randomUUID(),
        authenticatorId: authenticatorId ?? "",
        nowMs,
      });
      if (authenticatorId === undefined) delete claims.authenticator;
      return signAccessToken(claims, signer);
    };
    expect((await bearer(await forge(secretId))).status).toBe(200);
    for (const id of [undefined, otherSecretId, "sec_unknown"])
      expect((await bearer(await forge(id))).status).toBe(401);
  });
});
