/**
 * The D1 schema, as drizzle tables. drizzle-kit turns changes here into numbered SQL files in migrations/,
 * which wrangler applies. Every tenant-owned row carries tenant_id, and every query filters on it.
 * Times are integer milliseconds since the epoch. docs/storage-schema.md describes each table and KV key.
 */
import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { JWK } from "jose";
import type { Grant, ScopeDefinition } from "../domain/grants";

export const tenants = sqliteTable("tenants", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: integer("created_at").notNull(),
});

export const resources = sqliteTable(
  "resources",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id),
    uri: text("uri").notNull(),
    name: text("name").notNull(),
    scopes: text("scopes", { mode: "json" }).$type<ScopeDefinition[]>().notNull(),
    builtin: integer("builtin", { mode: "boolean" }).notNull().default(false),
    createdAt: integer("created_at").notNull(),
    createdBy: text("created_by").notNull(),
  },
  (t) => [uniqueIndex("resources_tenant_uri").on(t.tenantId, t.uri)],
);

export const credentials = sqliteTable(
  "credentials",
  {
    /** The client_id; also the credential's id in the admin API. */
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id),
    label: text("label").notNull(),
    grants: text("grants", { mode: "json" }).$type<Grant[]>().notNull(),
    groups: text("groups", { mode: "json" }).$type<string[]>().notNull(),
    status: text("status", { enum: ["active", "revoked"] })
      .notNull()
      .default("active"),
    tokenLifetime: integer("token_lifetime"),
    createdAt: integer("created_at").notNull(),
    createdBy: text("created_by").notNull(),
    expiresAt: integer("expires_at"),
    revokedAt: integer("revoked_at"),
    revokedBy: text("revoked_by"),
    lastUsedAt: integer("last_used_at"),
    mintCount: integer("mint_count").notNull().default(0),
    /** The last change the token endpoint must learn of (secrets, keys, status, grants); set in the change's batch. */
    changedAt: integer("changed_at"),
    /** The `changedAt` the KV revocation entry is known to reflect; behind `changedAt`, the hourly cron republishes it. */
    publishedAt: integer("published_at"),
    /** When the KV entry was last written: its retired list holds the ids retired in the 24 h before. */
    kvWrittenAt: integer("kv_written_at"),
  },
  (t) => [
    // A label names one live credential; a revoked one's label may be reused by its replacement.
    uniqueIndex("credentials_tenant_active_label").on(t.tenantId, t.label).where(sql`status = 'active'`),
    index("credentials_tenant_created").on(t.tenantId, t.createdAt),
  ],
);

export const credentialSecrets = sqliteTable(
  "credential_secrets",
  {
    id: text("id").primaryKey(),
    credentialId: text("credential_id")
      .notNull()
      .references(() => credentials.id),
    tenantId: text("tenant_id").notNull(),
    /** HMAC-SHA256(pepper, secret), base64url. The secret itself is never stored. */
    secretHash: text("secret_hash").notNull(),
    /** Id of the pepper secret_hash was made with (src/crypto/key-id.ts); null for hashes older than pepper ids. */
    pepperId: text("pepper_id"),
    /** The secret's first characters after its prefix, so an admin can tell secrets apart. */
    hint: text("hint").notNull(),
    createdAt: integer("created_at").notNull(),
    createdBy: text("created_by").notNull(),
    expiresAt: integer("expires_at"),
    retiredAt: integer("retired_at"),
    lastUsedAt: integer("last_used_at"),
  },
  (t) => [index("credential_secrets_credential").on(t.credentialId)],
);

/** Public keys a credential authenticates with (private_key_jwt, RFC 7523); at most two live at a time. */
export const credentialKeys = sqliteTable(
  "credential_keys",
  {
    id: text("id").primaryKey(),
    credentialId: text("credential_id")
      .notNull()
      .references(() => credentials.id),
    tenantId: text("tenant_id").notNull(),
    /** RFC 7638 JWK thumbprint (SHA-256): the `kid` the client puts in its assertions. */
    thumbprint: text("thumbprint").notNull(),
    alg: text("alg", { enum: ["ES256", "EdDSA"] }).notNull(),
    /** The public JWK, public members only. */
    publicJwk: text("public_jwk", { mode: "json" }).$type<JWK>().notNull(),
    createdAt: integer("created_at").notNull(),
    createdBy: text("created_by").notNull(),
    expiresAt: integer("expires_at"),
    retiredAt: integer("retired_at"),
    lastUsedAt: integer("last_used_at"),
  },
  (t) => [
    index("credential_keys_credential").on(t.credentialId),
    uniqueIndex("credential_keys_credential_thumbprint").on(t.credentialId, t.thumbprint),
  ],
);

/**
 * Setup codes as the admin API sees them: the code's keyed hash only (never the code), and what became of
 * it. The Durable Object named by the same hash is what actually redeems it.
 */
export const setupCodes = sqliteTable(
  "setup_codes",
  {
    /** HMAC-SHA256(pepper, code), base64url. */
    codeHash: text("code_hash").primaryKey(),
    credentialId: text("credential_id")
      .notNull()
      .references(() => credentials.id),
    tenantId: text("tenant_id").notNull(),
    status: text("status", { enum: ["pending", "claimed", "cancelled"] })
      .notNull()
      .default("pending"),
    createdAt: integer("created_at").notNull(),
    createdBy: text("created_by").notNull(),
    expiresAt: integer("expires_at").notNull(),
    cancelledAt: integer("cancelled_at"),
    claimedAt: integer("claimed_at"),
    claimedIp: text("claimed_ip"),
    claimedHostname: text("claimed_hostname"),
    mode: text("mode", { enum: ["key", "secret"] }),
    keyThumbprint: text("key_thumbprint"),
    /** The secret or key row the redemption created. */
    provisionedId: text("provisioned_id"),
  },
  (t) => [index("setup_codes_credential_created").on(t.credentialId, t.createdAt)],
);

export const signingKeys = sqliteTable(
  "signing_keys",
  {
    /** RFC 7638 JWK thumbprint of the public key. */
    kid: text("kid").primaryKey(),
    /** The tenant whose ring the key is in: it signs that tenant's tokens only (docs/realms.md). */
    tenantId: text("tenant_id").notNull().default("default"),
    alg: text("alg").notNull(),
    publicJwk: text("public_jwk", { mode: "json" }).$type<JWK>().notNull(),
    /** The private JWK in a versioned AES-GCM envelope ("v2.<key id>.<iv>.<ciphertext>") under KEY_ENCRYPTION_KEY. */
    privateJwkEnvelope: text("private_jwk_envelope").notNull(),
    createdAt: integer("created_at").notNull(),
    /** When it starts signing: at least one JWKS cache lifetime after it is published. */
    activatesAt: integer("activates_at").notNull(),
    /** When it stopped signing (a newer key took over); null while current or pending. */
    retiredAt: integer("retired_at"),
  },
  (t) => [index("signing_keys_tenant_activates").on(t.tenantId, t.activatesAt)],
);

export const auditEvents = sqliteTable(
  "audit_events",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    at: integer("at").notNull(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    targetType: text("target_type"),
    targetId: text("target_id"),
    ip: text("ip"),
    userAgent: text("user_agent"),
    detail: text("detail", { mode: "json" }).$type<Record<string, unknown>>(),
  },
  (t) => [index("audit_tenant_at").on(t.tenantId, t.at), index("audit_tenant_target").on(t.tenantId, t.targetId, t.at)],
);

export type CredentialRow = typeof credentials.$inferSelect;
export type CredentialSecretRow = typeof credentialSecrets.$inferSelect;
export type ResourceRow = typeof resources.$inferSelect;
export type SigningKeyRow = typeof signingKeys.$inferSelect;
export type CredentialKeyRow = typeof credentialKeys.$inferSelect;
export type SetupCodeRow = typeof setupCodes.$inferSelect;
export type AuditEventRow = typeof auditEvents.$inferSelect;
