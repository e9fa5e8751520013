/**
 * The device authorization grant's front half (RFC 8628 sections 3.1-3.3): a public client asks, gets a
 * device code to poll with and a user code for the person; the person, signed in to the console, looks the
 * user code up and approves or denies it. Both codes are stored only as keyed hashes. A decision is one
 * guarded UPDATE (still pending, not expired) with its audit event in the same batch, so two decisions
 * cannot both win and a refused one leaves no event.
 */
import type { RequestContext } from "../context";
import { newDeviceCode, newUserCode } from "../crypto/device-codes";
import { keyedHash, newId } from "../crypto/secrets";
import {
  DEVICE_CODE_TTL_MS,
  POLL_INTERVAL_SECONDS,
  USER_CODE_ALPHABET,
  USER_CODE_LENGTH,
  cleanHostname,
  displayUserCode,
  normalizeUserCode,
} from "../domain/device-rules";
import { ProblemError } from "../domain/errors";
import { auditInsertIf, previousStatementChanged } from "../storage/audit";
import { decide, findByUserCode, insertDeviceAuthorization } from "../storage/device-authorizations";
import { isUniqueViolation } from "../storage/errors";
import type { DeviceAuthorizationRow } from "../storage/schema-console";
import type { Actor } from "./credentials";

type Deps = Pick<RequestContext, "db" | "config">;

/** What the device authorization endpoint answers with (RFC 8628 section 3.2), before URLs are added. */
export interface StartedAuthorization {
  deviceCode: string;
  userCode: string;
  expiresIn: number;
  interval: number;
}

/** The keyed hash a device code is stored and looked up by. */
export const hashDeviceCode = (ctx: Pick<RequestContext, "config">, code: string) =>
  keyedHash(ctx.config.secretPepper, `device:${code}`);

const hashUserCode = (ctx: Pick<RequestContext, "config">, normalized: string) =>
  keyedHash(ctx.config.secretPepper, `user_code:${normalized}`);

export const invalidUserCode = () =>
  new ProblemError("invalid_user_code", "This code is unknown, expired or already used. Start again in the tool.");

/** Starts a device sign-in for a public client; a user-code collision (rare) is retried with a new code. */
export async function startDeviceAuthorization(
  ctx: Deps,
  request: { clientId: string; hostname: string | undefined; ip: string | null },
  nowMs: number,
): Promise<StartedAuthorization> {
  for (let attempt = 0; ; attempt += 1) {
    const deviceCode = await newDeviceCode();
    const userCode = newUserCode(USER_CODE_ALPHABET, USER_CODE_LENGTH);
    const row: DeviceAuthorizationRow = {
      id: newId("dva"),
      deviceCodeHash: await hashDeviceCode(ctx, deviceCode),
      userCodeHash: await hashUserCode(ctx, userCode),
      clientId: request.clientId,
      hostname: cleanHostname(request.hostname),
      requestIp: request.ip,
      status: "pending",
      createdAt: nowMs,
      expiresAt: nowMs + DEVICE_CODE_TTL_MS,
      intervalSeconds: POLL_INTERVAL_SECONDS,
      lastPolledAt: null,
      tenantId: null,
      userId: null,
      decidedAt: null,
    };
    try {
      await insertDeviceAuthorization(ctx.db, row).run();
    } catch (err) {
      if (attempt < 2 && isUniqueViolation(err)) continue;
      throw err;
    }
    return {
      deviceCode,
      userCode: displayUserCode(userCode),
      expiresIn: DEVICE_CODE_TTL_MS / 1000,
      interval: POLL_INTERVAL_SECONDS,
    };
  }
}

/** The pending, unexpired authorization a person typed the user code of; invalid_user_code otherwise. */
export async function pendingAuthorization(ctx: Deps, userCode: string, nowMs: number) {
  const normalized = normalizeUserCode(userCode);
  if (!normalized) throw invalidUserCode();
  const row = await findByUserCode(ctx.db, await hashUserCode(ctx, normalized));
  if (row?.status !== "pending" || row.expiresAt <= nowMs) throw invalidUserCode();
  return { row, userCode: displayUserCode(normalized) };
}

/** Approves or denies the authorization named by `userCode` for the person `who`, audited in the same batch. */
export async function decideAuthorization(
  ctx: Deps,
  who: Actor & { userId: string },
  userCode: string,
  decision: "approved" | "denied",
  nowMs: number,
): Promise<DeviceAuthorizationRow> {
  const { db } = ctx;
  const { row } = await pendingAuthorization(ctx, userCode, nowMs);
  const [changed] = await db.batch([
    decide(db, row.id, decision, { tenantId: who.tenantId, userId: who.userId }, nowMs),
    auditInsertIf(
      db,
      {
        tenantId: who.tenantId,
        actor: who.actor,
        ip: who.ip,
        userAgent: who.userAgent,
        at: nowMs,
        ...(decision === "approved" ? { action: "device.approve" as const } : { action: "device.deny" as const }),
        targetType: "device_authorization",
        targetId: row.id,
        detail: { client_id: row.clientId, hostname: row.hostname },
      },
      previousStatementChanged(),
    ),
  ]);
  if (changed.meta.changes === 0) throw invalidUserCode();
  return { ...row, status: decision, tenantId: who.tenantId, userId: who.userId, decidedAt: nowMs };
}
