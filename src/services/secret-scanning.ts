/**
 * Acting on a verified leaked-secret report. Each token is recognised by prefix and checksum (a client secret
 * or a setup code), looked up by its keyed hash (under the current and, during a rotation, the previous
 * pepper) and, by the owning tenant's policy, retired at once (a secret) or cancelled (a pending setup code),
 * or only reported. Every recognised token writes a `secret.leak_reported` audit event in the batch of its
 * change and raises a `secret.leaked` webhook. Anything not found, or not ours, is a false positive.
 */
import type { RequestContext } from "../context";
import { isWellFormedSecret, isWellFormedSetupCode } from "../crypto/secrets";
import { SYSTEM_ACTORS } from "../domain/actors";
import type { AuditDetail } from "../domain/audit-actions";
import { cancelSetupCodeObjects } from "../durable-objects/setup-code";
import { auditInsert } from "../storage/audit";
import { retireSecret } from "../storage/credential-secrets";
import { touchCredential } from "../storage/credential-sync";
import { secretsByHash, setupCodesByHash } from "../storage/leak-lookups";
import type { CredentialRow } from "../storage/schema";
import { cancelSetupCodes } from "../storage/setup-codes";
import { publishCredentialChange } from "./credential-changes";
import { acceptedHashes } from "./pepper-rotation";
import { alertSettings } from "./webhook-reads";
import { queueWebhookEvent } from "./webhook-events";

type Deps = Pick<RequestContext, "db" | "config" | "revocations" | "setupCodes" | "log" | "background" | "env">;
type LeakDetail = AuditDetail<"secret.leak_reported">;

/** One reported token, as GitHub's partner format sends it. */
export interface LeakReport {
  token: string;
  type: string;
  url: string | null;
  source: string | null;
}

export type LeakLabel = "true_positive" | "false_positive";

interface Found {
  credential: CredentialRow;
  kind: LeakDetail["kind"];
  ref: string;
  hint: string | null;
  active: boolean;
  /** The statements that retire or cancel it, and work to do after they commit. */
  retire: () => { writes: Parameters<Deps["db"]["batch"]>[0][number][]; after: () => Promise<void> };
}

async function find(ctx: Deps, token: string, nowMs: number): Promise<Found | null> {
  if (await isWellFormedSecret(token)) {
    const [hit] = await secretsByHash(ctx.db, await acceptedHashes(ctx.config, token));
    if (!hit) return null;
    const { secret, credential } = hit;
    return {
      credential,
      kind: "secret",
      ref: secret.id,
      hint: secret.hint,
      active: secret.retiredAt === null && (secret.expiresAt === null || secret.expiresAt > nowMs),
      retire: () => ({
        writes: [retireSecret(ctx.db, credential.id, secret.id, nowMs), touchCredential(ctx.db, credential.id, nowMs)],
        after: async () => {
          await publishCredentialChange(ctx, credential.tenantId, credential.id, nowMs, {
            background: ctx.background,
            hint: { retired: [secret.id] },
          });
        },
      }),
    };
  }
  if (await isWellFormedSetupCode(token)) {
    const [hit] = await setupCodesByHash(ctx.db, await acceptedHashes(ctx.config, token));
    if (!hit) return null;
    const { code, credential } = hit;
    return {
      credential,
      kind: "setup_code",
      ref: code.codeHash.slice(0, 8),
      hint: null,
      active: code.status === "pending" && code.expiresAt > nowMs,
      retire: () => ({
        writes: [cancelSetupCodes(ctx.db, [code.codeHash], nowMs)],
        after: () => cancelSetupCodeObjects(ctx.setupCodes, [code.codeHash]),
      }),
    };
  }
  return null;
}

async function act(ctx: Deps, report: LeakReport, found: Found, ip: string | null, nowMs: number): Promise<void> {
  const { credential } = found;
  const policy = (await alertSettings(ctx, credential.tenantId)).leakedSecretAction;
  const retiring = found.active && policy === "retire";
  const action: LeakDetail["outcome"] = !found.active
    ? "already_inactive"
    : !retiring
      ? "notified"
      : found.kind === "secret"
        ? "retired"
        : "cancelled";
  const change = retiring ? found.retire() : { writes: [], after: async () => undefined };
  await ctx.db.batch([
    auditInsert(ctx.db, {
      tenantId: credential.tenantId,
      actor: SYSTEM_ACTORS.secretScanning,
      ip,
      at: nowMs,
      action: "secret.leak_reported",
      targetType: "credential",
      targetId: credential.id,
      detail: { kind: found.kind, ref: found.ref, outcome: action, url: report.url, source: report.source },
    }),
    ...change.writes,
  ]);
  await change.after();
  queueWebhookEvent(ctx, {
    tenantId: credential.tenantId,
    type: "secret.leaked",
    subject: credential.id,
    data: {
      client_id: credential.id,
      label: credential.label,
      kind: found.kind,
      ref: found.ref,
      ...(found.hint ? { hint: found.hint } : {}),
      action,
      url: report.url,
      source: report.source,
      reported_type: report.type,
    },
    at: nowMs,
  });
}

/**
 * Labels each report and acts on the true positives. A token reported twice in one batch is acted on once.
 * Storage failures propagate (the caller answers 503 and GitHub retries the whole report).
 */
export async function handleLeakReports(
  ctx: Deps,
  reports: LeakReport[],
  ip: string | null,
  nowMs: number,
): Promise<LeakLabel[]> {
  const seen = new Map<string, LeakLabel>();
  const labels: LeakLabel[] = [];
  for (const report of reports) {
    let label = seen.get(report.token);
    if (label === undefined) {
      const found = await find(ctx, report.token, nowMs);
      if (found) await act(ctx, report, found, ip, nowMs);
      label = found ? "true_positive" : "false_positive";
      seen.set(report.token, label);
    }
    labels.push(label);
  }
  return labels;
}
