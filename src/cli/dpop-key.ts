/**
 * The CLI's DPoP key: one per profile (or environment credential), generated on first use (ES256) and kept
 * in `<config>/dpop/<profile>-<hash>.json` (0600, atomic write) like the other profile secrets. It is
 * separate from a private_key_jwt credential's own key on purpose: that key authenticates the client and is
 * registered with Latchkey, this one only binds tokens, so each can be replaced without the other and a
 * copied proof key cannot authenticate as the client.
 */
import { createHash } from "node:crypto";
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { JWK } from "jose";
import { exportDpopKey, generateDpopKey, importDpopKey, type DpopKey } from "../client/dpop.js";
import type { ResolvedCredential } from "./credentials.js";
import { ensurePrivateDir, readJson, writeJsonAtomic } from "./store.js";

/** Where the DPoP key of a credential is kept. */
export function dpopKeyPath(dir: string, cred: Pick<ResolvedCredential, "source" | "issuer" | "clientId">): string {
  const hash = createHash("sha256")
    .update(JSON.stringify([cred.issuer, cred.clientId]))
    .digest("hex")
    .slice(0, 16);
  return join(dir, "dpop", `${cred.source}-${hash}.json`);
}

/** The credential's DPoP key, made and stored on first use. */
export async function dpopKeyFor(dir: string, cred: ResolvedCredential): Promise<DpopKey> {
  const path = dpopKeyPath(dir, cred);
  const stored = (await readJson(path)) as { private_jwk?: JWK } | undefined;
  if (stored?.private_jwk && typeof stored.private_jwk.d === "string") return importDpopKey(stored.private_jwk);
  const key = await generateDpopKey("ES256", true);
  await ensurePrivateDir(join(dir, "dpop"));
  await writeJsonAtomic(path, { private_jwk: await exportDpopKey(key), jkt: key.jkt });
  return key;
}

/** Deletes the DPoP keys of a profile (logout); tokens bound to them become useless with them. */
export async function forgetDpopKeys(dir: string, profile: string): Promise<void> {
  const keyDir = join(dir, "dpop");
  const files = await readdir(keyDir).catch(() => [] as string[]);
  const own = new RegExp(`^${profile.replace(/[^A-Za-z0-9_-]/g, "")}-[0-9a-f]{16}\\.json$`);
  await Promise.all(files.filter((f) => own.test(f)).map((f) => rm(join(keyDir, f), { force: true })));
}
