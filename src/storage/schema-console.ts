/**
 * The console's tables: people (users), their sessions, invitations and the one-time first-owner links.
 * Session ids and link tokens are stored only as keyed hashes. An email names one person in the whole
 * deployment (sign-in sends no tenant), so `users.email` is unique globally, not per tenant.
 * `sign_in_throttles` is deployment-wide abuse state (keyed by account and source), so it has no tenant_id.
 */
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { Role } from "../domain/roles";
import { tenants } from "./schema";

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id),
    /** Lower-cased. */
    email: text("email").notNull(),
    name: text("name").notNull(),
    role: text("role").$type<Role>().notNull(),
    /** `pbkdf2-sha256$<iterations>$<salt>$<hash>`; null for people who only sign in through Cloudflare Access. */
    passwordHash: text("password_hash"),
    createdAt: integer("created_at").notNull(),
    createdBy: text("created_by").notNull(),
    lastSignInAt: integer("last_sign_in_at"),
  },
  (t) => [uniqueIndex("users_email").on(t.email), index("users_tenant_role").on(t.tenantId, t.role)],
);

export const sessions = sqliteTable(
  "sessions",
  {
    /** Public id (`ses_...`), shown in the session list; not the cookie value. */
    id: text("id").primaryKey(),
    /** HMAC-SHA256(pepper, cookie value). The cookie value itself is never stored. */
    tokenHash: text("token_hash").notNull(),
    tenantId: text("tenant_id").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    userAgent: text("user_agent"),
    ip: text("ip"),
    createdAt: integer("created_at").notNull(),
    lastSeenAt: integer("last_seen_at").notNull(),
    /** Absolute expiry (created + 12 h); the idle timeout is computed from last_seen_at. */
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [uniqueIndex("sessions_token_hash").on(t.tokenHash), index("sessions_tenant_user").on(t.tenantId, t.userId)],
);

export const invitations = sqliteTable(
  "invitations",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id),
    email: text("email").notNull(),
    role: text("role").$type<Role>().notNull(),
    tokenHash: text("token_hash").notNull(),
    createdAt: integer("created_at").notNull(),
    createdBy: text("created_by").notNull(),
    expiresAt: integer("expires_at").notNull(),
    acceptedAt: integer("accepted_at"),
    /** The user created by accepting it. */
    acceptedBy: text("accepted_by"),
    revokedAt: integer("revoked_at"),
    revokedBy: text("revoked_by"),
  },
  (t) => [
    uniqueIndex("invitations_token_hash").on(t.tokenHash),
    index("invitations_tenant_created").on(t.tenantId, t.createdAt),
  ],
);

export const ownerSetupTokens = sqliteTable(
  "owner_setup_tokens",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id),
    tokenHash: text("token_hash").notNull(),
    createdAt: integer("created_at").notNull(),
    createdBy: text("created_by").notNull(),
    expiresAt: integer("expires_at").notNull(),
    usedAt: integer("used_at"),
    /** The owner created with it. */
    usedBy: text("used_by"),
  },
  (t) => [uniqueIndex("owner_setup_tokens_token_hash").on(t.tokenHash)],
);

export const signInThrottles = sqliteTable("sign_in_throttles", {
  /** HMAC of `throttle:<kind>:...` (pair, source, account or slot; src/services/sign-in.ts): no email or address in the clear. */
  key: text("key").primaryKey(),
  /** First counted attempt of the current window. */
  windowStart: integer("window_start").notNull(),
  /** Attempts counted in the window and not (yet) refunded by a success. */
  failures: integer("failures").notNull(),
});

/**
 * Device sign-ins (RFC 8628) in progress: a tool asked, a person approves or denies in the console, the tool
 * redeems once. Both codes are stored only as keyed hashes. Strongly consistent without a Durable Object:
 * every state change is one guarded UPDATE on the D1 primary (status = the expected one), so two polls or two
 * decisions cannot both win. tenant_id and user_id are set by the decision; until then it belongs to nobody.
 */
export const deviceAuthorizations = sqliteTable(
  "device_authorizations",
  {
    /** Public id (`dva_...`), the audit log's target; not a code. */
    id: text("id").primaryKey(),
    /** HMAC-SHA256(pepper, `device:` + device_code). */
    deviceCodeHash: text("device_code_hash").notNull(),
    /** HMAC-SHA256(pepper, `user_code:` + normalized user code). */
    userCodeHash: text("user_code_hash").notNull(),
    clientId: text("client_id").notNull(),
    /** The host the tool says it runs on (self-reported, shown as such). */
    hostname: text("hostname"),
    requestIp: text("request_ip"),
    status: text("status", { enum: ["pending", "approved", "denied", "redeemed"] })
      .notNull()
      .default("pending"),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    /** Seconds between polls; slow_down raises it by 5. */
    intervalSeconds: integer("interval_seconds").notNull(),
    lastPolledAt: integer("last_polled_at"),
    tenantId: text("tenant_id"),
    userId: text("user_id"),
    decidedAt: integer("decided_at"),
  },
  (t) => [
    uniqueIndex("device_authorizations_device_code").on(t.deviceCodeHash),
    uniqueIndex("device_authorizations_user_code").on(t.userCodeHash),
    index("device_authorizations_expires").on(t.expiresAt),
  ],
);

/** A person signed in from a tool: the life of its refresh tokens. Listed beside console sessions. */
export const deviceSessions = sqliteTable(
  "device_sessions",
  {
    /** Public id (`dvs_...`), shown in the session list. */
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    /** No foreign key: removing a member deletes their device sessions in the same batch, after the user row. */
    userId: text("user_id").notNull(),
    clientId: text("client_id").notNull(),
    hostname: text("hostname"),
    ip: text("ip"),
    createdAt: integer("created_at").notNull(),
    lastUsedAt: integer("last_used_at").notNull(),
    /** Absolute end (sign-in + 30 days); refreshing does not move it. */
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("device_sessions_tenant_user").on(t.tenantId, t.userId)],
);

/**
 * Every refresh token a device session was given, current and spent, by keyed hash: a spent one presented
 * again is reuse (RFC 9700 section 4.14) and ends the whole session.
 */
export const refreshTokens = sqliteTable(
  "refresh_tokens",
  {
    /** HMAC-SHA256(pepper, `refresh:` + token). */
    tokenHash: text("token_hash").primaryKey(),
    sessionId: text("session_id")
      .notNull()
      .references(() => deviceSessions.id),
    tenantId: text("tenant_id").notNull(),
    createdAt: integer("created_at").notNull(),
    /** When it was exchanged for its successor; null while it is the session's current one. */
    usedAt: integer("used_at"),
  },
  (t) => [index("refresh_tokens_session").on(t.sessionId)],
);

/**
 * A person's membership of a tenant other than their home tenant (users.tenant_id, whose role is users.role).
 * A session's tenant_id is the tenant it is active in: the home tenant, or one of these (docs/realms.md).
 */
export const memberships = sqliteTable(
  "memberships",
  {
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    role: text("role").$type<Role>().notNull(),
    createdAt: integer("created_at").notNull(),
    createdBy: text("created_by").notNull(),
  },
  (t) => [primaryKey({ columns: [t.tenantId, t.userId] }), index("memberships_user").on(t.userId)],
);

export type UserRow = typeof users.$inferSelect;
export type MembershipRow = typeof memberships.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;
export type InvitationRow = typeof invitations.$inferSelect;
export type OwnerSetupTokenRow = typeof ownerSetupTokens.$inferSelect;
export type SignInThrottleRow = typeof signInThrottles.$inferSelect;
export type DeviceAuthorizationRow = typeof deviceAuthorizations.$inferSelect;
export type DeviceSessionRow = typeof deviceSessions.$inferSelect;
export type RefreshTokenRow = typeof refreshTokens.$inferSelect;
