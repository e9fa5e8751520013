/** Wire shapes of people, invitations, sessions and signing keys: snake_case, ISO 8601 times, nothing secret. */
import { parseUserAgent } from "../../domain/user-agent";
import { invitationStatus } from "../../domain/invitation-rules";
import { sessionExpiry } from "../../domain/session-rules";
import type { InvitationRow, SessionRow, UserRow } from "../../storage/schema-console";
import type { SigningKeyRow } from "../../storage/schema";
import { iso } from "./views";

export function userView(u: UserRow) {
  return { id: u.id, email: u.email, name: u.name, role: u.role, tenant_id: u.tenantId };
}

export function memberView(u: UserRow) {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    created_at: iso(u.createdAt),
    last_sign_in_at: iso(u.lastSignInAt),
  };
}

export function invitationView(i: InvitationRow, nowMs: number) {
  return {
    id: i.id,
    email: i.email,
    role: i.role,
    created_at: iso(i.createdAt),
    created_by: i.createdBy,
    expires_at: iso(i.expiresAt),
    status: invitationStatus(i, nowMs),
  };
}

export function sessionView(s: SessionRow, person: { email: string; name: string }, currentId: string | null) {
  return {
    id: s.id,
    user_id: s.userId,
    user_email: person.email,
    user_name: person.name,
    ...parseUserAgent(s.userAgent),
    ip: s.ip,
    created_at: iso(s.createdAt),
    last_seen_at: iso(s.lastSeenAt),
    expires_at: iso(sessionExpiry(s)),
    current: s.id === currentId,
  };
}

export function signingKeyView(k: SigningKeyRow, currentKid: string | undefined, nowMs: number) {
  const status = k.kid === currentKid ? "current" : k.activatesAt > nowMs ? "pending" : "retired";
  return {
    kid: k.kid,
    alg: k.alg,
    created_at: iso(k.createdAt),
    activates_at: iso(k.activatesAt),
    retired_at: iso(k.retiredAt),
    status,
  };
}
