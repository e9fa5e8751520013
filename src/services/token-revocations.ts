/**
 * Ending access tokens already issued: every token of a credential issued before now ("revoke issued
 * tokens", a not-before time, also set when the credential is revoked), or one token by its jti (RFC 7009,
 * by the client holding it). Each change is one db.batch with its audit event. Times are kept at second
 * precision, as `iat` is: a not-before time is the next whole second, so a token minted in the same second
 * is refused too (a new mint a second later works). Nothing here is on the token endpoint's path.
 */
import { CLOCK_SKEW_SECONDS } from "../config";
import type { RequestContext } from "../context";
import type { AccessTokenClaims } from "../domain/token-claims";
import { serviceActor } from "../domain/actors";
import { auditInsert, auditInsertIf, previousStatementChanged } from "../storage/audit";
import type { CredentialRow } from "../storage/schema";
import { insertRevokedToken, setTokensNotBefore } from "../storage/token-revocations";
import { forgetRevocationFeed } from "./revocation-feed";

/** What these changes use: the D1 primary, the configuration (default token lifetime) and the logger. */
export type TokenRevocationDeps = Pick<RequestContext, "db" | "config" | "log">;

/** Who acts, for the audit event (services/credentials.ts Actor has this shape). */
export interface RevokingActor {
  tenantId: string;
  actor: string;
  ip: string | null;
  userAgent: string | null;
}

/** The not-before time (ms) a revocation at `nowMs` sets: the next whole second. */
export const notBeforeAt = (nowMs: number): number => Math.ceil((nowMs + 1) / 1000) * 1000;

/** When every token of `credential` issued before `notBefore` has expired, clock skew included. */
export function notBeforeKeptUntil(deps: Pick<RequestContext, "config">, credential: CredentialRow, notBefore: number) {
  const lifetime = credential.tokenLifetime ?? deps.config.tokenLifetimeSeconds;
  return notBefore + (lifetime + CLOCK_SKEW_SECONDS) * 1000;
}

/** The statement that ends every token `credential` was issued before `nowMs`, for the caller's batch. */
export function endIssuedTokens(deps: TokenRevocationDeps, credential: CredentialRow, nowMs: number) {
  const notBefore = notBeforeAt(nowMs);
  const until = notBeforeKeptUntil(deps, credential, notBefore);
  return setTokensNotBefore(deps.db, credential.tenantId, credential.id, notBefore, until);
}

/** "Revoke issued tokens": every token the credential holds now stops being accepted. Returns the not-before time. */
export async function revokeIssuedTokens(
  deps: TokenRevocationDeps,
  who: RevokingActor,
  credential: CredentialRow,
  nowMs: number,
): Promise<number> {
  const notBefore = notBeforeAt(nowMs);
  await deps.db.batch([
    endIssuedTokens(deps, credential, nowMs),
    auditInsert(deps.db, {
      tenantId: who.tenantId,
      actor: who.actor,
      ip: who.ip,
      userAgent: who.userAgent,
      at: nowMs,
      action: "credential.tokens.revoke",
      targetType: "credential",
      targetId: credential.id,
      detail: { not_before: new Date(notBefore).toISOString() },
    }),
  ]);
  forgetRevocationFeed(credential.tenantId);
  return notBefore;
}

/**
 * RFC 7009: revokes the token `claims` describe, which the caller `credential` must hold (checked by the
 * caller). Revoking it again changes nothing and records nothing.
 */
export async function revokeOwnToken(
  deps: TokenRevocationDeps,
  credential: CredentialRow,
  claims: AccessTokenClaims,
  request: { ip: string | null; userAgent: string | null },
  nowMs: number,
): Promise<void> {
  const { db } = deps;
  const exp = claims.exp * 1000;
  await db.batch([
    insertRevokedToken(db, {
      jti: claims.jti,
      tenantId: credential.tenantId,
      clientId: credential.id,
      expiresAt: exp,
      revokedAt: nowMs,
    }),
    auditInsertIf(
      db,
      {
        tenantId: credential.tenantId,
        actor: serviceActor(credential.label),
        ...request,
        at: nowMs,
        action: "token.revoke",
        targetType: "credential",
        targetId: credential.id,
        detail: { jti: claims.jti, aud: claims.aud, exp: new Date(exp).toISOString() },
      },
      previousStatementChanged(),
    ),
  ]);
  forgetRevocationFeed(credential.tenantId);
  deps.log.info("token_revoked", { client_id: credential.id, tenant: credential.tenantId, jti: claims.jti });
}
