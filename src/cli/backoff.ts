/**
 * A refusal remembered across processes, so a script calling `latchkey token` in a loop cannot hammer the
 * server with a dead credential or through a rate limit: `<config>/cache/<profile>-<hash>.backoff.json`
 * (0600), one per credential. After `invalid_client`/`unauthorized_client` no request is sent for 30 s; after a
 * 429 (or 503) none until its Retry-After has passed. Best effort: an unwritable directory only disables it.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { LatchkeyError } from "../client/errors.js";
import { backoffUntil } from "../client/token-source.js";
import { ensurePrivateDir, readJson, writeJsonAtomic } from "./store.js";

/** A remembered refusal is never honoured for longer than this, whatever the file says. */
const MAX_BACKOFF_MS = 10 * 60_000;

interface BackoffRecord {
  until: number;
  code: string;
  status: number;
}

/** The backoff file of a credential (profile or `_env`, issuer and client id). */
export function backoffPath(dir: string, source: string, issuer: string, clientId: string): string {
  const hash = createHash("sha256")
    .update(JSON.stringify([issuer, clientId]))
    .digest("hex")
    .slice(0, 16);
  return join(dir, "cache", `${source}-${hash}.backoff.json`);
}

/** The remembered refusal, as the SDK error it was (retryAfter = seconds left), while it holds. */
export async function rememberedRefusal(path: string, now: number): Promise<LatchkeyError | undefined> {
  let data: Partial<BackoffRecord> | undefined;
  try {
    data = (await readJson(path)) as Partial<BackoffRecord> | undefined;
  } catch {
    return undefined;
  }
  if (!data || typeof data.until !== "number" || typeof data.code !== "string" || typeof data.status !== "number")
    return undefined;
  const left = data.until - now;
  if (left <= 0 || left > MAX_BACKOFF_MS) return undefined;
  const retryAfter = Math.ceil(left / 1000);
  return new LatchkeyError(data.code, `Token request refused earlier: ${data.code} (HTTP ${data.status})`, {
    status: data.status,
    retryAfter,
  });
}

/** Remembers `error` when it calls for a backoff; never fails the command. */
export async function rememberRefusal(path: string, error: unknown, now: number): Promise<void> {
  const until = backoffUntil(error, now);
  if (until === undefined || !(error instanceof LatchkeyError)) return;
  try {
    await ensurePrivateDir(join(path, "..", ".."));
    await ensurePrivateDir(join(path, ".."));
    await writeJsonAtomic(path, { until, code: error.code, status: error.status } satisfies BackoffRecord);
  } catch {
    // A read-only config directory: the refusal is simply not remembered.
  }
}
