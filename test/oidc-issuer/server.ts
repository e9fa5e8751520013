/**
 * A real OIDC issuer for the federation tests: a node HTTP server on 127.0.0.1 serving, for any issuer name,
 * `/<name>/.well-known/openid-configuration` and `/<name>/jwks` with real keys (ES256, RS256, PS256, EdDSA),
 * and minting tokens signed with them (`POST /<name>/mint`), as GitHub Actions' runner endpoint does too
 * (`GET /<name>/actions-token?audience=`). Names choose misbehaviours: `large-*` serves an oversized JWKS,
 * `slow-*` a JWKS that never finishes in time, `liar-*` a discovery document naming another issuer,
 * `redirect-*` a JWKS that redirects to another host. `POST /<name>/rotate` publishes a new key; `GET
 * /<name>/stats` counts fetches. Node only: workerd tests reach it over HTTP, never import it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";

type Alg = "ES256" | "RS256" | "PS256" | "EdDSA";
interface SigningKey {
  kid: string;
  alg: Alg;
  privateKey: CryptoKey;
  publicJwk: JWK;
}
interface IssuerState {
  keys: SigningKey[];
  /** Keys that sign but are not published (an unknown kid). */
  unpublished: SigningKey[];
  stats: { discovery: number; jwks: number; actions?: number };
}

export interface MintRequest {
  claims: Record<string, unknown>;
  alg?: Alg;
  /** Sign with a key the JWKS does not publish. */
  unpublished?: boolean;
  /** Seconds from now; default 300. */
  expiresIn?: number;
  /** Seconds added to iat (negative: an old token). */
  iatOffset?: number;
}

const ALGS: Alg[] = ["ES256", "RS256", "PS256", "EdDSA"];
let kidCounter = 0;

async function newKey(alg: Alg): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  kidCounter += 1;
  const kid = `${alg.toLowerCase()}-${kidCounter}`;
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export interface OidcIssuerServer {
  /** `http://127.0.0.1:<port>`; an issuer is `${base}/${name}`. */
  base: string;
  stop(): Promise<void>;
}

/** Starts the issuer server on an ephemeral loopback port. */
export async function startOidcIssuer(): Promise<OidcIssuerServer> {
  const issuers = new Map<string, Promise<IssuerState>>();
  let base = "";
  const stateOf = (name: string) => {
    let state = issuers.get(name);
    if (!state) {
      state = Promise.all([Promise.all(ALGS.map(newKey)), Promise.all(ALGS.map(newKey))]).then(
        ([keys, unpublished]) => ({ keys, unpublished, stats: { discovery: 0, jwks: 0 } }),
      );
      issuers.set(name, state);
    }
    return state;
  };
  const timers = new Set<NodeJS.Timeout>();

  async function mint(name: string, request: MintRequest): Promise<string> {
    const state = await stateOf(name);
    const alg = request.alg ?? "ES256";
    const key = (request.unpublished ? state.unpublished : state.keys).findLast((k) => k.alg === alg);
    if (!key) throw new Error(`no ${alg} key`);
    const now = Math.floor(Date.now() / 1000) + (request.iatOffset ?? 0);
    return new SignJWT({ jti: crypto.randomUUID(), ...request.claims })
      .setProtectedHeader({ alg, kid: key.kid, typ: "JWT" })
      .setIssuer(`${base}/${name}`)
      .setIssuedAt(now)
      .setExpirationTime(now + (request.expiresIn ?? 300))
      .sign(key.privateKey);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", base);
    const [, name = "", ...rest] = url.pathname.split("/");
    const route = rest.join("/");
    const state = await stateOf(name);
    if (route === ".well-known/openid-configuration") {
      state.stats.discovery += 1;
      const issuer = name.startsWith("liar-") ? `${base}/someone-else` : `${base}/${name}`;
      return json(res, 200, { issuer, jwks_uri: `${base}/${name}/jwks`, id_token_signing_alg_values_supported: ALGS });
    }
    if (route === "jwks") {
      state.stats.jwks += 1;
      if (name.startsWith("redirect-")) {
        res.writeHead(302, { location: `http://localhost:1/${name}/jwks` });
        return void res.end();
      }
      if (name.startsWith("slow-")) {
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"keys":[');
        const timer = setTimeout(() => res.end("]}"), 20_000);
        timers.add(timer);
        return;
      }
      const keys = state.keys.map((k) => k.publicJwk);
      const padding = name.startsWith("large-") ? "x".repeat(80 * 1024) : undefined;
      return json(res, 200, padding ? { keys, padding } : { keys });
    }
    if (route === "stats") return json(res, 200, state.stats);
    if (route === "rotate" && req.method === "POST") {
      const key = await newKey("ES256");
      state.keys.push(key);
      return json(res, 200, { kid: key.kid });
    }
    if (route === "mint" && req.method === "POST") {
      return json(res, 200, { token: await mint(name, JSON.parse(await readBody(req)) as MintRequest) });
    }
    if (route === "actions-token") {
      state.stats.actions = (state.stats.actions ?? 0) + 1;
      if (req.headers.authorization !== "bearer runner-request-token") return json(res, 401, { message: "Bad" });
      const claims = JSON.parse(url.searchParams.get("claims") ?? "{}") as Record<string, unknown>;
      const audience = url.searchParams.get("audience");
      const token = await mint(name, { claims: { ...claims, ...(audience ? { aud: audience } : {}) } });
      return json(res, 200, { count: 1, value: token });
    }
    json(res, 404, { error: "not found" });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => json(res, 500, { error: String(err) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
