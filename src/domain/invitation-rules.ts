/**
 * How long one-time people links live and what state an invitation is in. An invitation is revoked,
 * accepted, expired or pending, in that order of precedence: a revoked or accepted one never reads as
 * expired. A first-owner link works once and only before its deadline.
 */

/** How long an invitation link stays valid. */
export const INVITATION_TTL_MS = 7 * 86_400_000;
/** How long a first-owner link stays valid. */
export const OWNER_LINK_TTL_MS = 3_600_000;

export type InvitationStatus = "pending" | "accepted" | "expired" | "revoked";

/** The times of an invitation its status follows from. */
export interface InvitationTimes {
  revokedAt: number | null;
  acceptedAt: number | null;
  expiresAt: number;
}

/** The state of an invitation at `nowMs`. */
export function invitationStatus(inv: InvitationTimes, nowMs: number): InvitationStatus {
  if (inv.revokedAt !== null) return "revoked";
  if (inv.acceptedAt !== null) return "accepted";
  return inv.expiresAt <= nowMs ? "expired" : "pending";
}

/** True while a first-owner link can still be used: unused and before its deadline. */
export function isOwnerLinkUsable(link: { usedAt: number | null; expiresAt: number }, nowMs: number): boolean {
  return link.usedAt === null && link.expiresAt > nowMs;
}
