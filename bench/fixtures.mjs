// What the mint scenarios share: a management credential from the bootstrap, a resource, a client_secret
// credential and a private_key_jwt credential (its key registered through a setup code, as a machine would),
// made once per bench run against a fresh Latchkey. Scenarios read them through bench.fixtures(), which also
// gives them the admin API (`admin`) and the bench grants to make credentials of their own.
import { exportJWK, generateKeyPair } from "jose";
import { bootstrapCredential, readDevVars } from "../scripts/lib.mjs";

export const RESOURCE = "https://bench.example/api";

const basic = (id, secret) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;

async function json(res) {
  const body = await res.json();
  if (!res.ok) throw new Error(`${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** Creates the bench's credentials on the Latchkey at `url` (whose issuer is `issuer`). */
export async function makeFixtures(url, issuer) {
  const { BOOTSTRAP_TOKEN } = readDevVars();
  const admin = await bootstrapCredential({ url, bootstrapToken: BOOTSTRAP_TOKEN, recreate: true });
  const mint = await json(
    await fetch(`${url}/oauth/token`, {
      method: "POST",
      headers: {
        authorization: basic(admin.client_id, admin.client_secret),
        "content-type": "application/x-www-form-urlencoded",
      },
      body: "grant_type=client_credentials",
    }),
  );
  const api = (p, body) =>
    fetch(`${url}/api/v1${p}`, {
      method: "POST",
      headers: { authorization: `Bearer ${mint.access_token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  await api("/resources", { uri: RESOURCE, name: "Bench API", scopes: [{ name: "bench:read" }] });
  const grants = [{ resource: RESOURCE, scopes: ["bench:read"] }];
  const secretCred = await json(await api("/credentials", { label: "bench-secret", grants }));
  const keyCred = await json(await api("/credentials", { label: "bench-key", grants, delivery: "setup_code" }));
  const { publicKey, privateKey } = await generateKeyPair("ES256");
  const redeemed = await json(
    await fetch(`${url}/setup/redeem`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        code: keyCred.setup_code.code,
        mode: "key",
        public_jwk: await exportJWK(publicKey),
        hostname: "bench",
      }),
    }),
  );
  return {
    issuer,
    /** POST to the admin API (/api/v1) as the bootstrap's management credential; resolves the JSON, throws if not ok. */
    admin: async (p, body) => json(await api(p, body)),
    grants,
    secretAuth: basic(secretCred.client_id, secretCred.client_secret),
    keyClient: { clientId: redeemed.client_id, kid: redeemed.key_id, privateKey },
  };
}
