/**
 * What each role of a person may do, as management scopes, so one `requireScope` check serves people and
 * machines alike. People-management scopes (members, everyone's sessions) exist only for people: the
 * management resource does not define them, so no machine credential can ever hold them.
 */

/** The roles a person can have, most powerful first. */
export const ROLES = ["owner", "admin", "viewer"] as const;
export type Role = (typeof ROLES)[number];

const VIEWER = ["credentials:read", "resources:read", "audit:read", "webhooks:read"];
const ADMIN = [
  ...VIEWER,
  "credentials:write",
  "resources:write",
  "members:read",
  "webhooks:write",
  "tokens:introspect",
];
const OWNER = [...ADMIN, "members:write", "sessions:read:all", "sessions:write:all"];

const SCOPES: Record<Role, readonly string[]> = { owner: OWNER, admin: ADMIN, viewer: VIEWER };

/** The scopes a role grants, sorted. */
export function scopesOfRole(role: Role): string[] {
  return [...SCOPES[role]].sort();
}
