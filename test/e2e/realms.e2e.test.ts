/**
 * Realms end to end against the real local server: `npm run tenant -- create` makes two tenants, each one's
 * first owner is set up through its link and defines the same resource URI, the real `latchkey setup`
 * redeems a code against the tenant's issuer (discovery at the RFC 8414 path-inserted location), an
 * independent client (oauth4webapi) discovers each tenant issuer and mints, and the SDK verifier of each
 * tenant accepts its own tenant's tokens and refuses the other's.
 */
import { spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { createVerifier, discover, TokenVerificationError } from "../../src/client/index";
import { buildCli, removeTempDirs, spawnCli, tempConfigDir } from "../client/cli-helpers";
import { url } from "./support";

const SHARED = "https://shared.example/api";
const suffix = Date.now().toString(36);

interface TenantSession {
  id: string;
  issuer: string;
  api: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;
}

/** Runs `npm run tenant -- create` (the script itself) and sets up the first owner through the link it prints. */
async function tenant(name: string, id: string): Promise<TenantSession> {
  const run = spawnSync(process.execPath, ["scripts/tenant.mjs", "create", name, "--id", id], {
    env: { ...process.env, LATCHKEY_URL: url(), BOOTSTRAP_TOKEN: inject("bootstrapToken") },
    encoding: "utf8",
  });
  expect(run.status, run.stderr).toBe(0);
  const created = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
  expect(created.issuer).toBe(`${url()}/t/${id}`);
  const token = new URL(created.owner_link.url.replace("/#/", "/")).searchParams.get("token");
  const owner = await fetch(`${url()}/api/v1/auth/setup-owner`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: url() },
    body: JSON.stringify({
      token,
      email: `owner-${id}@example.com`,
      name: "Owner",
      password: "correct horse battery staple",
    }),
  });
  expect(owner.status).toBe(201);
  const cookie = (owner.headers.get("set-cookie") ?? "").split(";")[0]!;
  const api = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${url()}/api/v1${path}`, {
      method,
      headers: { cookie, origin: url(), ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, body: (await r.json().catch(() => null)) as any };
  };
  const resource = await api("POST", "/resources", { uri: SHARED, name: "Shared", scopes: [{ name: "read" }] });
  expect(resource.status).toBe(201);
  return { id, issuer: created.issuer, api };
}

async function mintWithOauth4webapi(t: TenantSession): Promise<string> {
  const created = await t.api("POST", "/credentials", {
    label: `e2e-${suffix}`,
    grants: [{ resource: SHARED, scopes: ["read"] }],
  });
  expect(created.status).toBe(201);
  expect(created.body.issuer).toBe(t.issuer);
  const issuer = new URL(t.issuer);
  const as = await oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { algorithm: "oauth2", [oauth.allowInsecureRequests]: true }),
  );
  expect(as.token_endpoint).toBe(`${t.issuer}/oauth/token`);
  const client: oauth.Client = { client_id: created.body.client_id };
  const response = await oauth.clientCredentialsGrantRequest(
    as,
    client,
    oauth.ClientSecretBasic(created.body.client_secret),
    new URLSearchParams({ resource: SHARED }),
    { [oauth.allowInsecureRequests]: true },
  );
  return (await oauth.processClientCredentialsResponse(as, client, response)).access_token;
}

let a: TenantSession;
let b: TenantSession;
let cli: string;

beforeAll(async () => {
  a = await tenant("Realm A", `e2e-a-${suffix}`);
  b = await tenant("Realm B", `e2e-b-${suffix}`);
  cli = await buildCli();
});

afterAll(removeTempDirs);

describe("two tenants with the same resource URI against the real server", () => {
  it("each tenant's SDK verifier accepts its own tokens and refuses the other's", async () => {
    const [tokenA, tokenB] = [await mintWithOauth4webapi(a), await mintWithOauth4webapi(b)];
    const verifyA = createVerifier({ issuer: a.issuer, audience: SHARED });
    const verifyB = createVerifier({ issuer: b.issuer, audience: SHARED });
    expect((await verifyA.verify(tokenA)).tenant).toBe(a.id);
    expect((await verifyB.verify(tokenB)).tenant).toBe(b.id);
    await expect(verifyA.verify(tokenB)).rejects.toBeInstanceOf(TokenVerificationError);
    await expect(verifyB.verify(tokenA)).rejects.toBeInstanceOf(TokenVerificationError);
    expect((await discover(a.issuer)).jwks_uri).toBe(`${a.issuer}/.well-known/jwks.json`);
  });

  it("latchkey setup against a tenant issuer stores that issuer, and its token verifies only there", async () => {
    const created = await a.api("POST", "/credentials", {
      label: `e2e-cli-${suffix}`,
      grants: [{ resource: SHARED, scopes: ["read"] }],
      delivery: "setup_code",
    });
    expect(created.status).toBe(201);
    expect(created.body.setup_code.command).toBe(`npx latchkey setup ${a.issuer} ${created.body.setup_code.code}`);
    const dir = await tempConfigDir();
    const env = { LATCHKEY_CONFIG_DIR: dir, HOME: dir };
    const setup = await spawnCli(cli, ["setup", a.issuer, created.body.setup_code.code, "--hostname", "runner"], {
      env,
    });
    expect(setup.code, setup.stderr).toBe(0);
    const profile = JSON.parse(await readFile(join(dir, "profiles", "default.json"), "utf8"));
    expect(profile).toMatchObject({
      issuer: a.issuer,
      token_endpoint: `${a.issuer}/oauth/token`,
      auth_method: "private_key_jwt",
    });
    const minted = await spawnCli(cli, ["token", "--resource", SHARED], { env });
    expect(minted.code, minted.stderr).toBe(0);
    const token = minted.stdout.trim();
    expect((await createVerifier({ issuer: a.issuer, audience: SHARED }).verify(token)).iss).toBe(a.issuer);
    await expect(createVerifier({ issuer: b.issuer, audience: SHARED }).verify(token)).rejects.toBeInstanceOf(
      TokenVerificationError,
    );
  });
});
