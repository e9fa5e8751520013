/**
 * A small Latchkey-shaped test double on node:http (127.0.0.1, port 0): RFC 8414 metadata, JWKS,
 * POST /setup/redeem and POST /oauth/token with client_secret_basic and private_key_jwt really checked
 * (jose verifies the client assertion). Used only where the real Worker cannot easily produce a case
 * (429s, wrong servers, counting mints); end-to-end tests run against the real server.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  SignJWT,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  type CryptoKey,
  type JWK,
} from "jose";

export interface FakeResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  raw?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export interface FakeLatchkey {
  url: string;
  requests: RecordedRequest[];
  /** Setup codes that may be redeemed once. */
  codes: Set<string>;
  clients: Map<string, { secret?: string; publicJwk?: JWK; label: string }>;
  /** Token lifetime in seconds. */
  lifetime: number;
  /** Answer instead of the default handler when it returns a response. */
  override?: (req: RecordedRequest) => FakeResponse | undefined;
  /** Public JWK of the token-signing key. */
  signingJwk: JWK;
  tokenRequests(): number;
  close(): Promise<void>;
}

/** Starts the fake on 127.0.0.1 with a random port. */
export async function startFakeLatchkey(): Promise<FakeLatchkey> {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const signingJwk = { ...(await exportJWK(publicKey)), alg: "ES256", use: "sig" };
  signingJwk.kid = await calculateJwkThumbprint(signingJwk);
  const fake = {
    url: "",
    requests: [] as RecordedRequest[],
    codes: new Set<string>(),
    clients: new Map(),
    lifetime: 3600,
    signingJwk,
  } as unknown as FakeLatchkey;

  const handle = async (req: RecordedRequest): Promise<FakeResponse> => {
    const forced = fake.override?.(req);
    if (forced) return forced;
    if (req.method === "GET" && req.path === "/.well-known/oauth-authorization-server") {
      return {
        status: 200,
        body: {
          issuer: fake.url,
          token_endpoint: `${fake.url}/oauth/token`,
          jwks_uri: `${fake.url}/.well-known/jwks.json`,
          grant_types_supported: ["client_credentials"],
          token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "private_key_jwt"],
          token_endpoint_auth_signing_alg_values_supported: ["ES256", "EdDSA"],
        },
      };
    }
    if (req.method === "GET" && req.path === "/.well-known/jwks.json")
      return { status: 200, body: { keys: [signingJwk] } };
    if (req.method === "POST" && req.path === "/setup/redeem")
      return redeem(fake, JSON.parse(req.body) as Record<string, unknown>);
    if (req.method === "POST" && req.path === "/oauth/token") return token(fake, req, privateKey);
    return { status: 404, body: { error: "not_found" } };
  };

  const server = createServer((incoming: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (c: Buffer) => chunks.push(c));
    incoming.on("end", () => {
      const req = {
        method: incoming.method ?? "GET",
        path: incoming.url ?? "/",
        headers: incoming.headers,
        body: Buffer.concat(chunks).toString(),
      };
      fake.requests.push(req);
      handle(req).then(
        (r) => {
          const type =
            r.raw !== undefined
              ? "text/html"
              : r.status >= 400 && req.path === "/setup/redeem"
                ? "application/problem+json"
                : "application/json";
          res.writeHead(r.status, { "content-type": type, ...r.headers });
          res.end(r.raw ?? JSON.stringify(r.body ?? {}));
        },
        () => {
          res.writeHead(500);
          res.end("{}");
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.tokenRequests = () => fake.requests.filter((r) => r.path === "/oauth/token").length;
  fake.close = () => new Promise((resolve) => server.close(() => resolve()));
  return fake;
}

async function redeem(fake: FakeLatchkey, body: Record<string, unknown>): Promise<FakeResponse> {
  const code = body.code as string;
  if (!fake.codes.delete(code)) {
    return {
      status: 400,
      body: {
        type: "about:blank",
        title: "Invalid setup code",
        status: 400,
        detail: "The setup code is not valid.",
        code: "invalid_setup_code",
      },
    };
  }
  const clientId = `lkc_${randomBytes(16).toString("base64url").slice(0, 22)}`;
  const label = "fake-bot";
  const base = {
    issuer: fake.url,
    token_endpoint: `${fake.url}/oauth/token`,
    client_id: clientId,
    name: `svc:${label}`,
    label,
    mode: body.mode,
  };
  if (body.mode === "secret") {
    const secret = `lks_${randomBytes(40).toString("base64url").slice(0, 49)}`;
    fake.clients.set(clientId, { secret, label });
    return { status: 200, body: { ...base, client_secret: secret } };
  }
  const publicJwk = body.public_jwk as JWK;
  if (!publicJwk || "d" in publicJwk)
    return { status: 400, body: { status: 400, code: "invalid_request", detail: "public_jwk required" } };
  fake.clients.set(clientId, { publicJwk, label });
  return { status: 200, body: { ...base, key_id: await calculateJwkThumbprint(publicJwk) } };
}

async function authenticate(
  fake: FakeLatchkey,
  req: RecordedRequest,
  form: URLSearchParams,
): Promise<string | undefined> {
  const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? "");
  if (basic) {
    const decoded = Buffer.from(basic[1]!, "base64").toString();
    const i = decoded.indexOf(":");
    const dec = (s: string) => decodeURIComponent(s.replace(/\+/g, " "));
    const id = dec(decoded.slice(0, i));
    return fake.clients.get(id)?.secret === dec(decoded.slice(i + 1)) ? id : undefined;
  }
  const id = form.get("client_id") ?? "";
  const client = fake.clients.get(id);
  if (
    !client?.publicJwk ||
    form.get("client_assertion_type") !== "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
  )
    return undefined;
  try {
    const kid = await calculateJwkThumbprint(client.publicJwk);
    const { payload } = await jwtVerify(
      form.get("client_assertion") ?? "",
      async (header) => {
        if (header.kid !== kid) throw new Error("kid");
        return importJWK(client.publicJwk!, header.alg);
      },
      { issuer: id, subject: id, audience: fake.url, typ: "client-authentication+jwt", maxTokenAge: 120 },
    );
    // RFC 10070: the issuer is the sole audience.
    if (payload.aud !== fake.url) throw new Error("aud");
    return id;
  } catch {
    return undefined;
  }
}

async function token(fake: FakeLatchkey, req: RecordedRequest, key: CryptoKey): Promise<FakeResponse> {
  const form = new URLSearchParams(req.body);
  const clientId = await authenticate(fake, req, form);
  if (!clientId)
    return { status: 401, body: { error: "invalid_client", error_description: "Client authentication failed." } };
  const scope = form.get("scope") ?? "read";
  const aud = form.get("resource") ?? "https://api.example.test";
  const now = Math.floor(Date.now() / 1000);
  const label = fake.clients.get(clientId)!.label;
  const jwt = await new SignJWT({ client_id: clientId, scope, svc: `svc:${label}`, tenant: "t1", groups: [] })
    .setProtectedHeader({ alg: "ES256", kid: fake.signingJwk.kid!, typ: "at+jwt" })
    .setIssuer(fake.url)
    .setSubject(clientId)
    .setAudience(aud)
    .setIssuedAt(now)
    .setExpirationTime(now + fake.lifetime)
    .setJti(crypto.randomUUID())
    .sign(key);
  return { status: 200, body: { access_token: jwt, token_type: "Bearer", expires_in: fake.lifetime, scope } };
}
