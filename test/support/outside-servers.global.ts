/**
 * The outside systems of the webhook and secret-scanning tests, as REAL local HTTP servers on 127.0.0.1,
 * started once for the workers project and handed over with provide(): a webhook receiver that verifies
 * every delivery with the `standardwebhooks` reference library, and a GitHub-style key-set server whose
 * keys sign secret-scanning reports (node:crypto, DER signatures, exactly as GitHub sends them).
 */
import { generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    webhookReceiverUrl: string;
    keySetUrl: string;
  }
}

/** One request the receiver got, as tests read it from GET /_requests/<name>. */
export interface ReceivedWebhook {
  mode: string;
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
  body: string;
  verified: boolean;
}

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let text = "";
    req.on("data", (chunk) => (text += chunk));
    req.on("end", () => resolve(text));
  });

function receiver(): Server {
  const secrets = new Map<string, string>();
  const received = new Map<string, ReceivedWebhook[]>();
  const waiters: (() => void)[] = [];
  return createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const [, mode = "", name = ""] = url.pathname.split("/");
    const body = await readBody(req);
    if (mode === "_secret" && req.method === "PUT") {
      secrets.set(name, body);
      res.writeHead(204).end();
      return;
    }
    if (mode === "_requests") {
      const count = Number(url.searchParams.get("count") ?? "1");
      const deadline = Date.now() + 20_000;
      while ((received.get(name)?.length ?? 0) < count && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 1_000);
        });
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(received.get(name) ?? []));
      return;
    }
    const h = (k: string) => req.headers[k] as string | undefined;
    let verified = false;
    try {
      new Webhook(secrets.get(name) ?? "whsec_AAAA").verify(body, {
        "webhook-id": h("webhook-id") ?? "",
        "webhook-timestamp": h("webhook-timestamp") ?? "",
        "webhook-signature": h("webhook-signature") ?? "",
      });
      verified = true;
    } catch {
      verified = false;
    }
    const entry = {
      mode,
      id: h("webhook-id"),
      timestamp: h("webhook-timestamp"),
      signature: h("webhook-signature"),
      body,
      verified,
    };
    received.set(name, [...(received.get(name) ?? []), entry]);
    for (const wake of waiters.splice(0)) wake();
    if (mode === "slow") await new Promise((resolve) => setTimeout(resolve, 3_000));
    res.writeHead(mode === "fail" ? 500 : 200).end(mode === "fail" ? "nope" : "ok");
  });
}

function keySetServer(): Server {
  const keys: Record<string, { privateKey: KeyObject; publicPem: string }> = {};
  for (const id of ["current", "rotated", "forger"]) {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    keys[id] = { privateKey, publicPem: publicKey.export({ type: "spki", format: "pem" }).toString() };
  }
  let published = ["current"];
  return createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const body = await readBody(req);
    if (url.pathname === "/keys") {
      const public_keys = published.map((id) => ({ key_identifier: id, key: keys[id]?.publicPem, is_current: true }));
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ public_keys }));
      return;
    }
    if (url.pathname === "/publish") {
      published = body.split(",");
      res.writeHead(204).end();
      return;
    }
    const key = keys[url.searchParams.get("key") ?? "current"];
    if (url.pathname === "/sign" && key) {
      res.writeHead(200).end(sign("sha256", Buffer.from(body), key.privateKey).toString("base64"));
      return;
    }
    res.writeHead(404).end();
  });
}

const listen = (server: Server) =>
  new Promise<string>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );

export default async function setup(project: TestProject) {
  const servers = [receiver(), keySetServer()];
  const [receiverUrl, keysBase] = await Promise.all(servers.map(listen));
  project.provide("webhookReceiverUrl", receiverUrl as string);
  project.provide("keySetUrl", keysBase as string);
  return () => Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
}
