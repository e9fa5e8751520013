/**
 * The D1 schema, as drizzle tables. drizzle-kit turns changes here into numbered SQL files in migrations/,
 * which wrangler applies. Every tenant-owned row carries tenant_id, and every query filters on it.
 * Times are integer milliseconds since the epoch. docs/storage-schema.md describes each table and KV key.
 * Longer than 300 lines on purpose: it is declarations only, one table after another (the console's people
 * tables are in schema-console.ts), and the tables reference each other, so splitting them buys only imports.
 */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { JWK } from "jose";
import type { Grant, ScopeDefinition } from "../domain/grants";
import type { NetworkPolicy, QuotaPolicy } from "../domain/guardrails";

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
    /** Tokens of this credential issued before this time (ms) are dead: "revoke issued tokens", or revocation. */
    tokensNotBefore: integer("tokens_not_before"),
    /** When every token issued before tokens_not_before has expired; the cron then clears both. */
    tokensNotBeforeUntil: integer("tokens_not_before_until"),
    /** Guardrails (docs/guardrails.md): the network allow-list, or null for none. */
    networkPolicy: text("network_policy", { mode: "json" }).$type<NetworkPolicy>(),
    /** Guardrails: mint quotas per hour and day, or null for none. */
    quotaPolicy: text("quota_policy", { mode: "json" }).$type<QuotaPolicy>(),
    /** Set by the hourly cron while the credential's clients do not cache their tokens (domain/caching-health.ts). */
    cachingFlaggedAt: integer("caching_flagged_at"),
    /** RFC 9449: the token endpoint refuses to mint for this credential without a valid DPoP proof. */
    requireDpop: integer("require_dpop", { mode: "boolean" }).notNull().default(false),
  },
  (t) => [
    // A label names one live credential; a revoked one's label may be reused by its replacement.
    uniqueIndex("credentials_tenant_active_label").on(t.tenantId, t.label).where(sql`status = 'active'`),
    index("credentials_tenant_created").on(t.tenantId, t.createdAt),
    index("credentials_tenant_not_before").on(t.tenantId, t.tokensNotBeforeUntil),
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
  (t) => [
    index("credential_secrets_credential").on(t.credentialId),
    // Leaked-secret reports look a secret up by its keyed hash alone (services/secret-scanning.ts).
    index("credential_secrets_hash").on(t.secretHash),
  ],
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

/**
 * Access tokens revoked one by one (RFC 7009, by the client that holds them), kept until they would have
 * expired anyway: the revocation feed and introspection read them, the token endpoint never does.
 */
export const revokedTokens = sqliteTable(
  "revoked_tokens",
  {
    jti: text("jti").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    clientId: text("client_id").notNull(),
    /** The token's own `exp`, in ms: the row is pruned after it (plus skew). */
    expiresAt: integer("expires_at").notNull(),
    revokedAt: integer("revoked_at").notNull(),
  },
  (t) => [index("revoked_tokens_tenant_expires").on(t.tenantId, t.expiresAt)],
);

/**
 * Guardrails: where each credential was used from recently (one row per credential and source, an IPv4
 * address or an IPv6 /64), written by the background usage flush and by coalesced network alerts.
 */
export const credentialSources = sqliteTable(
  "credential_sources",
  {
    credentialId: text("credential_id").notNull(),
    /** The source key (domain/request-source.ts): `4:a.b.c.d` or `6:<first four groups>`. */
    source: text("source").notNull(),
    tenantId: text("tenant_id").notNull(),
    /** The last full address seen from this source. */
    address: text("address").notNull(),
    firstSeenAt: integer("first_seen_at").notNull(),
    lastSeenAt: integer("last_seen_at").notNull(),
    mintCount: integer("mint_count").notNull().default(0),
    /** The last time a request from here was refused by the allow-list. */
    lastDeniedAt: integer("last_denied_at"),
  },
  (t) => [
    primaryKey({ columns: [t.credentialId, t.source] }),
    index("credential_sources_credential_seen").on(t.credentialId, t.lastSeenAt),
  ],
);

/** Guardrails: mints per credential per UTC hour (coalesced by the usage flush): quotas and caching health. */
export const credentialMintHours = sqliteTable(
  "credential_mint_hours",
  {
    credentialId: text("credential_id").notNull(),
    hourStart: integer("hour_start").notNull(),
    tenantId: text("tenant_id").notNull(),
    mintCount: integer("mint_count").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.credentialId, t.hourStart] }), index("credential_mint_hours_hour").on(t.hourStart)],
);

/**
 * Guardrails: the background dedupe of alerts. One row per credential and alert key (`network_denied:<source>`,
 * `network_outside_allowlist:<source>`, `quota:hour`, `quota:day`); a guarded upsert moves `window_start` forward, and only the request whose
 * upsert changed the row writes the audit event and queues the webhook: one alert per key per window.
 */
export const guardrailAlerts = sqliteTable(
  "guardrail_alerts",
  {
    credentialId: text("credential_id").notNull(),
    alertKey: text("alert_key").notNull(),
    tenantId: text("tenant_id").notNull(),
    windowStart: integer("window_start").notNull(),
  },
  (t) => [primaryKey({ columns: [t.credentialId, t.alertKey] })],
);

export type CredentialRow = typeof credentials.$inferSelect;
export type CredentialSecretRow = typeof credentialSecrets.$inferSelect;
export type ResourceRow = typeof resources.$inferSelect;
export type SigningKeyRow = typeof signingKeys.$inferSelect;
export type CredentialKeyRow = typeof credentialKeys.$inferSelect;
export type SetupCodeRow = typeof setupCodes.$inferSelect;
export type AuditEventRow = typeof auditEvents.$inferSelect;

/**
 * Federated workload identities (RFC 8693 token exchange): trust rules on a credential. A job presenting a
 * JWT from `issuer` whose `aud`, `sub` and claims satisfy the rule mints the credential's tokens, no secret held.
 * Deleted rules keep their row (deleted_at), so their id can go to the KV retired list and the audit log.
 */
export const federatedIdentities = sqliteTable(
  "federated_identities",
  {
    id: text("id").primaryKey(),
    credentialId: text("credential_id")
      .notNull()
      .references(() => credentials.id),
    tenantId: text("tenant_id").notNull(),
    preset: text("preset", { enum: ["github-actions", "gitlab", "kubernetes", "generic"] }).notNull(),
    /** The external issuer, compared exactly with the subject token's `iss` and its discovery document's `issuer`. */
    issuer: text("issuer").notNull(),
    /** The value the subject token's `aud` must contain; by default Latchkey's own issuer URL. */
    audience: text("audience").notNull(),
    /** Exact value or `*` glob the subject token's `sub` must match; null when only claims are conditions. */
    subject: text("subject"),
    /** JSON `{claim: exact value or glob}`, each of which the subject token must satisfy. */
    claims: text("claims", { mode: "json" }).$type<Record<string, string>>().notNull(),
    /** Upper bound (s) on the lifetime of tokens minted through this rule; null: the credential's lifetime. */
    maxTokenLifetime: integer("max_token_lifetime"),
    createdAt: integer("created_at").notNull(),
    createdBy: text("created_by").notNull(),
    deletedAt: integer("deleted_at"),
    lastUsedAt: integer("last_used_at"),
    /** The `sub` of the subject token of the last exchange (not secret: a repository, project or service account). */
    lastSubject: text("last_subject"),
  },
  (t) => [index("federated_identities_credential").on(t.credentialId)],
);

export type FederatedIdentityRow = typeof federatedIdentities.$inferSelect;
/** A tenant's webhook receivers (Standard Webhooks): where events go and the sealed signing secret. */
export const webhookEndpoints = sqliteTable(
  "webhook_endpoints",
  {
    id: text("id").primaryKey(),
    tenantId: text("tenant_id")
      .notNull()
      .references(() => tenants.id),
    url: text("url").notNull(),
    description: text("description").notNull(),
    /** The event types it receives (domain/webhook-events.ts). */
    eventTypes: text("event_types", { mode: "json" }).$type<string[]>().notNull(),
    /** The `whsec_` secret in the AES-GCM envelope of crypto/signing-keys.ts (the endpoint id is its additional data). */
    secretEnvelope: text("secret_envelope").notNull(),
    /** `whsec_` + the first 4 characters, so an admin can tell secrets apart. */
    secretHint: text("secret_hint").notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    createdAt: integer("created_at").notNull(),
    createdBy: text("created_by").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("webhook_endpoints_tenant").on(t.tenantId)],
);

/** One row per (event, endpoint): the delivery log, updated after every attempt. */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    /** `<event id>.<endpoint id>`: a retried fan-out finds the row it already wrote. */
    id: text("id").primaryKey(),
    tenantId: text("tenant_id").notNull(),
    endpointId: text("endpoint_id").notNull(),
    /** The webhook-id header of every attempt. */
    eventId: text("event_id").notNull(),
    eventType: text("event_type").notNull(),
    status: text("status", { enum: ["pending", "retrying", "delivered", "dead"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    lastStatus: integer("last_status"),
    lastError: text("last_error"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    nextAttemptAt: integer("next_attempt_at"),
  },
  (t) => [index("webhook_deliveries_endpoint_created").on(t.endpointId, t.createdAt)],
);

/** Deliveries that failed their last try, with the payload, so an operator can replay them. */
export const webhookDeadLetters = sqliteTable("webhook_dead_letters", {
  deliveryId: text("delivery_id").primaryKey(),
  tenantId: text("tenant_id").notNull(),
  endpointId: text("endpoint_id").notNull(),
  eventId: text("event_id").notNull(),
  eventType: text("event_type").notNull(),
  payload: text("payload").notNull(),
  attempts: integer("attempts").notNull(),
  lastError: text("last_error"),
  at: integer("at").notNull(),
});

/** Time-based alerts already sent (credential.expiring, secret.expiring, credential.stale): each once. */
export const webhookNotices = sqliteTable("webhook_notices", {
  /** `<type>:<subject>:<what it is about>`, e.g. `credential.expiring:lkc_...:<expires_at>:7d`. */
  key: text("key").primaryKey(),
  tenantId: text("tenant_id").notNull(),
  at: integer("at").notNull(),
});

/** Per-tenant alert policy: what a leaked-secret report does, and when an unused credential counts as stale. */
export const tenantAlertSettings = sqliteTable("tenant_alert_settings", {
  tenantId: text("tenant_id")
    .primaryKey()
    .references(() => tenants.id),
  leakedSecretAction: text("leaked_secret_action", { enum: ["retire", "notify"] })
    .notNull()
    .default("retire"),
  staleAfterDays: integer("stale_after_days").notNull().default(30),
  updatedAt: integer("updated_at").notNull(),
  updatedBy: text("updated_by").notNull(),
});

export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
export type TenantAlertSettingsRow = typeof tenantAlertSettings.$inferSelect;
export type RevokedTokenRow = typeof revokedTokens.$inferSelect;
export type CredentialSourceRow = typeof credentialSources.$inferSelect;
