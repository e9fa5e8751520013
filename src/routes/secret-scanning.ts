/**
 * POST /secret-scanning/github: GitHub's secret-scanning partner endpoint. The raw body (capped) must carry a
 * valid ECDSA P-256 signature by the key GitHub names in Github-Public-Key-Identifier, from the configured
 * key set; otherwise 401 and nothing is read or changed. A verified report is a JSON array of
 * {token, type, url, source}; the answer labels each token (docs/secret-scanning.md).
 */
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../context";
import { verifyDerSignature } from "../crypto/der-signature";
import { ProblemError, problems } from "../domain/errors";
import { NO_STORE_HEADERS } from "../middleware/error-handler";
import { ctxOf } from "../middleware/request-context";
import { secretScanningKey } from "../services/github-key-set";
import { handleLeakReports, type LeakReport } from "../services/secret-scanning";

/** Largest report read (bytes) and most tokens in one report. */
export const MAX_REPORT_BYTES = 256 * 1024;
export const MAX_REPORT_TOKENS = 1000;
const MAX_FIELD = 2048;

const refused = () => new ProblemError("invalid_signature", "The report's signature does not verify.");

const text = (v: unknown) => (typeof v === "string" && v.length <= MAX_FIELD ? v : null);

/** An entry as a report, or null when it is malformed (answered false_positive, never acted on). */
function asReport(entry: unknown): LeakReport | null {
  if (typeof entry !== "object" || entry === null) return null;
  const e = entry as Record<string, unknown>;
  const token = text(e.token);
  if (token === null || token.length === 0) return null;
  return { token, type: text(e.type) ?? "", url: text(e.url), source: text(e.source) };
}

export const secretScanningRoutes = new Hono<AppEnv>();

secretScanningRoutes.post(
  "/secret-scanning/github",
  bodyLimit({
    maxSize: MAX_REPORT_BYTES,
    onError: () => {
      throw problems.payloadTooLarge(MAX_REPORT_BYTES);
    },
  }),
  async (c) => {
    const ctx = ctxOf(c);
    const nowMs = ctx.clock();
    const keyId = c.req.header("github-public-key-identifier");
    const signature = c.req.header("github-public-key-signature");
    if (!keyId || !signature || keyId.length > 256 || signature.length > 512) throw refused();
    const raw = new Uint8Array(await c.req.arrayBuffer());
    let key: CryptoKey | null;
    try {
      key = await secretScanningKey(ctx.config.secretScanningKeysUrl, keyId, nowMs);
    } catch (err) {
      ctx.log.error("unhandled_error", { path: c.req.path, error: `key set: ${String(err)}` });
      throw new ProblemError("temporarily_unavailable", "The signing keys could not be fetched.", {
        retryAfterSeconds: 60,
      });
    }
    if (!key || !(await verifyDerSignature(key, signature, raw))) {
      ctx.log.info("secret_scanning_refused", { key_id: keyId.slice(0, 80), known_key: key !== null });
      throw refused();
    }
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder().decode(raw));
    } catch {
      throw problems.badRequest("The report must be a JSON array.");
    }
    if (!Array.isArray(body) || body.length > MAX_REPORT_TOKENS)
      throw problems.badRequest(`The report must be a JSON array of at most ${MAX_REPORT_TOKENS} tokens.`);
    const reports = body.map(asReport);
    const valid = reports.filter((r): r is LeakReport => r !== null);
    const labels = await handleLeakReports(ctx, valid, c.req.header("cf-connecting-ip") ?? null, nowMs);
    let next = 0;
    const answer = body.map((entry, i) => {
      const report = reports[i];
      const e = (typeof entry === "object" && entry !== null ? entry : {}) as Record<string, unknown>;
      return {
        token_raw: report?.token ?? text(e.token) ?? "",
        token_type: report?.type ?? text(e.type) ?? "",
        label: report ? labels[next++] : "false_positive",
      };
    });
    const truePositives = answer.filter((a) => a.label === "true_positive").length;
    ctx.log.info("secret_scanning_report", { tokens: answer.length, true_positives: truePositives });
    return c.json(answer, 200, NO_STORE_HEADERS);
  },
);
