/**
 * The automation's side end to end, against the real local server: an admin makes a setup code through the
 * admin API, the real `latchkey` CLI (bundled, in a child process, with a private config dir) redeems it in
 * key mode and in secret mode, `latchkey token` mints and then serves from its cache, the token verifies with
 * the SDK verifier and the hono middleware, and a revoked credential stops the CLI with a clear message.
 */
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVerifier, latchkeyAuth, type LatchkeyVariables } from "../../src/client/index";
import { buildCli, removeTempDirs, spawnCli, tempConfigDir } from "../client/cli-helpers";
import { adminSession, url } from "./support";

const RESOURCE = "https://reports.example/api";
let admin: Awaited<ReturnType<typeof adminSession>>;
let cli: string;

async function setupCode(label: string, mode: "key" | "secret" = "key") {
  const created = await admin.api("POST", "/credentials", {
    label,
    grants: [{ resource: RESOURCE, scopes: ["reports:read", "reports:export"] }],
    delivery: "setup_code",
    ...(mode === "secret" ? { mode } : {}),
  });
  expect(created.status).toBe(201);
  expect(created.body.client_secret).toBeUndefined();
  expect(created.body.setup_code.mode).toBe(mode);
  const flag = mode === "secret" ? "--secret " : "";
  expect(created.body.setup_code.command).toBe(`npx latchkey setup ${flag}${url()} ${created.body.setup_code.code}`);
  return { id: created.body.client_id as string, code: created.body.setup_code.code as string };
}

const run = (configDir: string, args: string[]) =>
  spawnCli(cli, args, { env: { LATCHKEY_CONFIG_DIR: configDir, HOME: configDir } });

beforeAll(async () => {
  admin = await adminSession();
  const resource = await admin.api("POST", "/resources", {
    uri: RESOURCE,
    name: "Reports",
    scopes: [{ name: "reports:read" }, { name: "reports:export" }],
  });
  expect([201, 409]).toContain(resource.status);
  cli = await buildCli();
});

afterAll(removeTempDirs);

describe("latchkey setup, token and revocation against the real server", () => {
  it("key mode: the machine keeps its private key, the claim shows in the admin API, token caches, tokens verify", async () => {
    const label = `cli-key-${Date.now()}`;
    const { id, code } = await setupCode(label);
    const dir = await tempConfigDir();
    const setup = await run(dir, ["setup", url(), code, "--hostname", "build-runner-7"]);
    expect(setup.code, setup.stderr).toBe(0);
    expect(setup.stdout).toContain(`svc:${label}`);
    expect(setup.stdout).toContain(RESOURCE);

    const profileFile = join(dir, "profiles", "default.json");
    expect((await stat(profileFile)).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o077).toBe(0);
    const profile = JSON.parse(await readFile(profileFile, "utf8"));
    expect(profile).toMatchObject({ client_id: id, auth_method: "private_key_jwt" });

    const view = await admin.api("GET", `/credentials/${id}`);
    expect(view.body.setup).toMatchObject({
      status: "claimed",
      claimed_hostname: "build-runner-7",
      claimed_ip: expect.any(String),
      key_thumbprint: profile.private_jwk.kid,
      mode: "key",
    });
    expect(view.body.keys).toEqual([
      expect.objectContaining({ thumbprint: profile.private_jwk.kid, alg: "ES256", status: "active" }),
    ]);
    expect(view.body.secrets).toEqual([]);
    const claims = await admin.api("GET", `/audit?target=${id}&action=credential.claim`);
    expect(claims.body.events).toHaveLength(1);
    expect(JSON.stringify(claims.body.events)).not.toContain(code);

    const first = await run(dir, ["token"]);
    const second = await run(dir, ["token"]);
    expect(first.code, first.stderr).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    const token = first.stdout.trim();

    const verifier = createVerifier({ issuer: url(), audience: RESOURCE });
    const verified = await verifier.verify(token, { requiredScopes: ["reports:read"] });
    expect(verified).toMatchObject({
      sub: id,
      client_id: id,
      svc: `svc:${label}`,
      scope: "reports:read reports:export",
    });

    const app = new Hono<{ Variables: LatchkeyVariables }>();
    app.use("/reports/*", latchkeyAuth({ verifier, scopes: ["reports:read"] }));
    app.get("/reports/latest", (c) => c.json({ caller: c.get("latchkey").svc }));
    const ok = await app.request("/reports/latest", { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ caller: `svc:${label}` });
    const strict = new Hono();
    strict.use("*", latchkeyAuth({ verifier, scopes: ["reports:delete"] }));
    strict.get("/", (c) => c.text("never"));
    expect((await strict.request("/", { headers: { authorization: `Bearer ${token}` } })).status).toBe(403);
    expect((await app.request("/reports/latest")).status).toBe(401);

    // The code was single use.
    const again = await run(await tempConfigDir(), ["setup", url(), code]);
    expect(again.code).toBe(4);
  });

  it("secret mode: the secret is stored 0600 and never printed; revocation stops `latchkey token` with exit 3", async () => {
    const label = `cli-secret-${Date.now()}`;
    const { id, code } = await setupCode(label, "secret");
    const dir = await tempConfigDir();
    const setup = await run(dir, ["setup", url(), code, "--secret"]);
    expect(setup.code, setup.stderr).toBe(0);
    const profile = JSON.parse(await readFile(join(dir, "profiles", "default.json"), "utf8"));
    expect(profile.client_secret).toMatch(/^lks_/);
    expect(setup.stdout + setup.stderr).not.toContain(profile.client_secret);
    const status = await run(dir, ["status"]);
    expect(status.code).toBe(0);
    expect(status.stdout + status.stderr).not.toContain(profile.client_secret);

    const minted = await run(dir, ["token", "--scope", "reports:read"]);
    expect(minted.code, minted.stderr).toBe(0);

    const revoked = await admin.api("POST", `/credentials/${id}/revoke`, { confirm_label: label });
    expect(revoked.status).toBe(200);
    const refused = await run(dir, ["token", "--no-cache"]);
    expect(refused.code).toBe(3);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toMatch(/revoked|rejected|invalid_client/i);
  });
});
