/**
 * What each role of a person may do, as management scopes, so one `requireScope` check serves people and
 * machines alike. People-management scopes (members, everyone's sessions) exist only for people: the
 * management resource does not define them, so no machine credential can ever hold them.
 */
import type { Role } from "../storage/schema-console";

const VIEWER = ["credentials:read", "resources:read", "audit:read"];
const ADMIN = [...VIEWER, "credentials:write", "resources:write", "members:read"];
const OWNER = [...ADMIN, "members:write", "sessions:read:all", "sessions:write:all"];

const SCOPES: Record<Role, readonly string[]> = { owner: OWNER, admin: ADMIN, viewer: VIEWER };

/** The scopes a role grants, sorted. */
export function scopesOfRole(role: Role): string[] {
  return [...SCOPES[role]].sort();
}

/** How long an invitation link stays valid. */
export const INVITATION_TTL_MS = 7 * 86_400_000;
/** How long a first-owner link stays valid. */
export const OWNER_LINK_TTL_MS = 3_600_000;
