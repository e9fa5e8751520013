/**
 * Secretless CI end to end: the real `latchkey` CLI (bundled, in a child process) in a simulated GitHub Actions
 * job (ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN pointing at a local OIDC issuer with real keys) exchanges the job's
 * OIDC token at the real local server (wrangler dev, ISSUER on loopback so a loopback issuer may be trusted),
 * caches the result, and the token verifies against Latchkey's JWKS; env-only mode, a token file (GitLab,
 * Kubernetes) and the SDK token source with a subject-token function work the same way.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTokenSource, createVerifier, githubActionsIdToken } from "../../src/client/index";
import { buildCli, removeTempDirs, spawnCli, tempConfigDir } from "../client/cli-helpers";
import { type OidcIssuerServer, startOidcIssuer } from "../oidc-issuer/server";
import { adminSession, url } from "./support";

const RESOURCE = "https://deploy.example/api";
const GITHUB = { repository_owner_id: "456", repository_id: "123", repository: "acme/api", ref: "refs/heads/main" };
let admin: Awaited<ReturnType<typeof adminSession>>;
let issuer: OidcIssuerServer;
let cli: string;

async function credentialTrusting(name: string, rule: Record<string, unknown>) {
  const created = await admin.api("POST", "/credentials", {
    label: `fed-e2e-${name}-${Date.now()}`,
    grants: [{ resource: RESOURCE, scopes: ["deploy:read"] }],
  });
  expect(created.status).toBe(201);
  const id = created.body.client_id as string;
  const added = await admin.api("POST", `/credentials/${id}/federated-identities`, {
    issuer: `${issuer.base}/${name}`,
    ...rule,
  });
  expect(added.status, JSON.stringify(added.body)).toBe(201);
  return id;
}

/** The runner's environment: where `latchkey token --federated github-actions` asks for the job's OIDC token. */
function runnerEnv(name: string, claims: Record<string, unknown>) {
  const requestUrl = `${issuer.base}/${name}/actions-token?api-version=2.0&claims=${encodeURIComponent(JSON.stringify(claims))}`;
  return { ACTIONS_ID_TOKEN_REQUEST_URL: requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: "runner-request-token" };
}

const stats = async (name: string) =>
  (await fetch(`${issuer.base}/${name}/stats`)).json() as Promise<Record<string, number>>;

beforeAll(async () => {
  issuer = await startOidcIssuer();
  admin = await adminSession();
  const resource = await admin.api("POST", "/resources", {
    uri: RESOURCE,
    name: "Deploy",
    scopes: [{ name: "deploy:read" }],
  });
  expect([201, 409]).toContain(resource.status);
  cli = await buildCli();
});

afterAll(async () => {
  await issuer.stop();
  await removeTempDirs();
});

describe("secretless CI against the real server", () => {
  it("GitHub Actions: `latchkey token --federated github-actions` mints, caches, and the token verifies", async () => {
    const id = await credentialTrusting("gha", { preset: "github-actions", claims: GITHUB });
    const dir = await tempConfigDir();
    const env = {
      LATCHKEY_CONFIG_DIR: dir,
      HOME: dir,
      LATCHKEY_URL: url(),
      LATCHKEY_CLIENT_ID: id,
      ...runnerEnv("gha", { ...GITHUB, sub: "repo:acme/api:ref:refs/heads/main" }),
    };
    const first = await spawnCli(cli, ["token", "--federated", "github-actions"], { env });
    expect(first.code, first.stderr).toBe(0);
    const second = await spawnCli(cli, ["token", "--federated", "github-actions"], { env });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect((await stats("gha")).actions).toBe(1);
    const verified = await createVerifier({ issuer: url(), audience: RESOURCE }).verify(first.stdout.trim());
    expect(verified).toMatchObject({ sub: id, client_id: id, scope: "deploy:read" });

    const envOnly = await spawnCli(cli, ["token", "--no-cache"], {
      env: { ...env, LATCHKEY_FEDERATED: "github-actions" },
    });
    expect(envOnly.code, envOnly.stderr).toBe(0);
    expect(envOnly.stdout).not.toBe(first.stdout);
    expect((await stats("gha")).actions).toBe(2);
    const rules = await admin.api("GET", `/credentials/${id}/federated-identities`);
    expect(rules.body.federated_identities[0].last_subject).toBe("repo:acme/api:ref:refs/heads/main");
  });

  it("a job of another repository, or outside GitHub Actions, gets a clear refusal and no token", async () => {
    const id = await credentialTrusting("gha-other", { preset: "github-actions", claims: GITHUB });
    const dir = await tempConfigDir();
    const base = { LATCHKEY_CONFIG_DIR: dir, HOME: dir, LATCHKEY_URL: url(), LATCHKEY_CLIENT_ID: id };
    const fork = await spawnCli(cli, ["token", "--federated", "github-actions"], {
      env: {
        ...base,
        ...runnerEnv("gha-other", { ...GITHUB, repository_id: "999", sub: "repo:evil/api:ref:refs/heads/main" }),
      },
    });
    expect(fork.code).toBe(1);
    expect(fork.stdout).toBe("");
    expect(fork.stderr).toMatch(/invalid_request/);
    const outside = await spawnCli(cli, ["token", "--federated", "github-actions"], { env: base });
    expect(outside.code).toBe(2);
    expect(outside.stderr).toMatch(/id-token: write/);
  });

  it("a token file (GitLab id_tokens, Kubernetes) and the SDK token source with a subject-token function", async () => {
    const id = await credentialTrusting("k8s", { preset: "kubernetes", subject: "system:serviceaccount:ci:deployer" });
    const mint = async () => {
      const res = await fetch(`${issuer.base}/k8s/mint`, {
        method: "POST",
        body: JSON.stringify({ claims: { sub: "system:serviceaccount:ci:deployer", aud: url() } }),
      });
      return ((await res.json()) as { token: string }).token;
    };
    const dir = await tempConfigDir();
    const file = join(dir, "token");
    await writeFile(file, `${await mint()}\n`);
    const env = { LATCHKEY_CONFIG_DIR: dir, HOME: dir, LATCHKEY_URL: url(), LATCHKEY_CLIENT_ID: id };
    const fromFile = await spawnCli(cli, ["token", "--federated-token-file", file], { env });
    expect(fromFile.code, fromFile.stderr).toBe(0);
    await createVerifier({ issuer: url(), audience: RESOURCE }).verify(fromFile.stdout.trim());

    let calls = 0;
    const source = createTokenSource({
      issuer: url(),
      clientId: id,
      subjectToken: () => {
        calls += 1;
        return mint();
      },
    });
    const token = await source.getToken();
    expect(token.tokenType).toBe("Bearer");
    expect((await source.getToken()).accessToken).toBe(token.accessToken);
    expect(calls).toBe(1);

    const ghaId = await credentialTrusting("gha-sdk", { preset: "github-actions", claims: GITHUB });
    const runner = runnerEnv("gha-sdk", { ...GITHUB, sub: "repo:acme/api:ref:refs/heads/main" });
    const gha = createTokenSource({
      issuer: url(),
      clientId: ghaId,
      subjectToken: () => githubActionsIdToken({ audience: url(), env: runner }),
    });
    expect((await gha.getToken()).accessToken).toMatch(/^ey/);
  });
});
