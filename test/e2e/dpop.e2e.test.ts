/**
 * DPoP end to end against the real local server: a credential that requires DPoP, the real `latchkey` CLI
 * (bundled, child process) running `curl`, `token --dpop` and `proof --token` against a small resource server
 * on 127.0.0.1 guarded by the SDK's hono middleware (replay and Bearer use refused there), and an independent
 * client, oauth4webapi, minting a DPoP-bound token with its own DPoP support.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Hono } from "hono";
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair } from "jose";
import * as oauth from "oauth4webapi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVerifier, latchkeyAuth, type LatchkeyVariables } from "../../src/client/index";
import { buildCli, removeTempDirs, spawnCli, tempConfigDir } from "../client/cli-helpers";
import { adminSession, url } from "./support";

const RESOURCE = "https://dpop-rs.example/api";
let admin: Awaited<ReturnType<typeof adminSession>>;
let cli: string;
let rs: Server;
let rsUrl: string;
let credential: { client_id: string; client_secret: string };

/** The resource server: node:http handing each request to a hono app guarded by latchkeyAuth. */
async function startResourceServer(): Promise<void> {
  const app = new Hono<{ Variables: LatchkeyVariables }>();
  const verifier = createVerifier({ issuer: url(), audience: RESOURCE });
  app.use("/things", latchkeyAuth({ verifier, scopes: ["things:read"] }));
  app.get("/things", (c) => c.json({ sub: c.get("latchkey").sub, jkt: c.get("latchkey").cnf?.jkt ?? null }));
  rs = createServer((req, res) => {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(name, value);
    const request = new Request(`${rsUrl}${req.url}`, { method: req.method, headers });
    void Promise.resolve(app.fetch(request)).then(async (r: Response) => {
      const out: Record<string, string> = {};
      r.headers.forEach((value, name) => {
        out[name] = value;
      });
      res.writeHead(r.status, out);
      res.end(await r.text());
    });
  });
  await new Promise<void>((resolve) => rs.listen(0, "127.0.0.1", resolve));
  rsUrl = `http://127.0.0.1:${(rs.address() as AddressInfo).port}`;
}

const run = (dir: string, args: string[]) =>
  spawnCli(cli, args, {
    env: {
      LATCHKEY_CONFIG_DIR: dir,
      HOME: dir,
      LATCHKEY_URL: url(),
      LATCHKEY_CLIENT_ID: credential.client_id,
      LATCHKEY_CLIENT_SECRET: credential.client_secret,
    },
  });

beforeAll(async () => {
  admin = await adminSession();
  const resource = await admin.api("POST", "/resources", {
    uri: RESOURCE,
    name: "DPoP things",
    scopes: [{ name: "things:read" }],
  });
  expect([201, 409]).toContain(resource.status);
  const created = await admin.api("POST", "/credentials", {
    label: `dpop-e2e-${Date.now()}`,
    grants: [{ resource: RESOURCE, scopes: ["things:read"] }],
    require_dpop: true,
  });
  expect(created.status).toBe(201);
  expect(created.body.require_dpop).toBe(true);
  credential = created.body;
  await startResourceServer();
  cli = await buildCli();
});

afterAll(async () => {
  await new Promise((resolve) => rs?.close(resolve));
  await removeTempDirs();
});

describe("the CLI's DPoP path against a resource server using the hono middleware", () => {
  it("latchkey curl sends a bound token with a fresh proof; a plain token request is refused", async () => {
    const dir = await tempConfigDir();
    const plain = await run(dir, ["token"]);
    expect(plain.code).not.toBe(0);
    expect(plain.stderr).toContain("invalid_dpop_proof");
    for (let i = 0; i < 2; i++) {
      const res = await run(dir, ["curl", `${rsUrl}/things?page=${i}`]);
      expect(res.code, res.stderr).toBe(0);
      expect(JSON.parse(res.stdout)).toEqual({ sub: credential.client_id, jkt: expect.any(String) });
    }
  });

  it("token --dpop and proof --token make the two headers; the proof is single use; the token is not a Bearer token", async () => {
    const dir = await tempConfigDir();
    const token = await run(dir, ["token", "--dpop"]);
    expect(token.code, token.stderr).toBe(0);
    const accessToken = token.stdout.trim();
    const proof = await run(dir, ["proof", "--method", "GET", "--url", `${rsUrl}/things`, "--token"]);
    expect(proof.code, proof.stderr).toBe(0);
    const header = JSON.parse(Buffer.from(proof.stdout.split(".")[0]!, "base64url").toString());
    const jkt = await calculateJwkThumbprint(header.jwk, "sha256");
    expect(decodeJwt(accessToken).cnf).toEqual({ jkt });
    expect(decodeJwt(proof.stdout.trim())).toMatchObject({
      htm: "GET",
      htu: `${rsUrl}/things`,
      ath: expect.any(String),
    });

    const send = (authorization: string, dpop?: string) =>
      fetch(`${rsUrl}/things`, { headers: { authorization, ...(dpop ? { dpop } : {}) } });
    const ok = await send(`DPoP ${accessToken}`, proof.stdout.trim());
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ sub: credential.client_id, jkt });
    const replay = await send(`DPoP ${accessToken}`, proof.stdout.trim());
    expect(replay.status).toBe(401);
    expect(replay.headers.get("www-authenticate")).toMatch(/^DPoP error="invalid_dpop_proof"/);
    const bearer = await send(`Bearer ${accessToken}`);
    expect(bearer.status).toBe(401);
    expect(bearer.headers.get("www-authenticate")).toMatch(/^DPoP error="invalid_token"/);
  });
});

describe("an independent client", () => {
  it("oauth4webapi mints a DPoP-bound token with its own DPoP support", async () => {
    const issuer = new URL(url());
    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { algorithm: "oauth2", [oauth.allowInsecureRequests]: true }),
    );
    expect(as.dpop_signing_alg_values_supported).toEqual(["ES256", "EdDSA"]);
    const client: oauth.Client = { client_id: credential.client_id };
    const keyPair = await generateKeyPair("ES256");
    const DPoP = oauth.DPoP(client, keyPair);
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      client,
      oauth.ClientSecretBasic(credential.client_secret),
      { resource: RESOURCE },
      { DPoP, [oauth.allowInsecureRequests]: true },
    );
    const result = await oauth.processClientCredentialsResponse(as, client, response);
    expect(result.token_type).toBe("dpop");
    const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey), "sha256");
    expect(decodeJwt(result.access_token).cnf).toEqual({ jkt });
  });
});
