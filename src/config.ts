/**
 * The Worker's bindings and its configuration. Vars and secrets are parsed once per isolate with zod,
 * so a misconfigured deployment fails loudly on its first request instead of minting odd tokens.
 */
import { z } from "zod";
import type { AssertionReplay } from "./durable-objects/assertion-replay";
import type { SetupCode } from "./durable-objects/setup-code";

/** Bindings declared in wrangler.toml, plus the secrets set with `wrangler secret put`. */
export interface Env {
  DB: D1Database;
  REVOCATIONS: KVNamespace;
  SETUP_CODES: DurableObjectNamespace<SetupCode>;
  /** One object per client_id: the jti values of its accepted client assertions (private_key_jwt). */
  ASSERTION_REPLAY: DurableObjectNamespace<AssertionReplay>;
  ASSETS: Fetcher;
  /** Failed or unauthenticated token requests per source (IPv4 address or IPv6 /64). */
  TOKEN_SOURCE_LIMITER: RateLimit;
  /** Verified token requests per credential (client_id), counted after authentication. */
  TOKEN_CLIENT_LIMITER: RateLimit;
  /** Failed client authentications per (client_id, source); bootstrap attempts per IP. */
  AUTH_FAILURE_LIMITER: RateLimit;
  /** Setup-code redemption attempts per IP, malformed codes included. */
  REDEEM_IP_LIMITER: RateLimit;
  /** Verified introspection and revocation calls per credential, counted after authentication. */
  INTROSPECTION_LIMITER: RateLimit;
  /** Device sign-ins started per source, and user-code lookups per person (RFC 8628 section 5.1). */
  DEVICE_LIMITER: RateLimit;
  ISSUER: string;
  TOKEN_LIFETIME_SECONDS: string;
  SIGNING_ALG: string;
  SIGNING_KEY_ROTATION_DAYS: string;
  /** Secret: HMAC key (base64url, 32 bytes) for client secrets and setup codes. */
  SECRET_PEPPER: string;
  /** Secret: AES-256-GCM key (base64url, 32 bytes) that encrypts signing keys at rest. */
  KEY_ENCRYPTION_KEY: string;
  /** Secret, optional, during a rotation only: the pepper before SECRET_PEPPER, still accepted until each hash is renewed. */
  SECRET_PEPPER_PREVIOUS?: string;
  /** Secret, optional, during a rotation only: the key-encryption key before KEY_ENCRYPTION_KEY, until the cron reseals. */
  KEY_ENCRYPTION_KEY_PREVIOUS?: string;
  /** Secret, optional: enables POST /api/v1/bootstrap for the first management credential. */
  BOOTSTRAP_TOKEN?: string;
  /** Optional: Cloudflare Access team (`acme` or `acme.cloudflareaccess.com`); with ACCESS_AUD, enables Access sign-in. */
  ACCESS_TEAM_DOMAIN?: string;
  /** Optional: the Access application's AUD tag. */
  ACCESS_AUD?: string;
  /** Queue producer for webhook events and deliveries; this Worker is also its consumer (services/webhook-delivery.ts). */
  WEBHOOK_QUEUE: Queue<unknown>;
  /** Seconds one webhook attempt may take before it counts as failed (default 10). */
  WEBHOOK_TIMEOUT_SECONDS?: string;
  /** The key set GitHub signs secret-scanning reports with (default GitHub's published URL). */
  SECRET_SCANNING_KEYS_URL?: string;
  /** Optional, "on" or "off" (default): the token endpoint requires a server nonce in DPoP proofs (RFC 9449 section 8). */
  DPOP_NONCES?: string;
  /** Optional, "true" to let anyone create a tenant with POST /api/v1/signup (docs/realms.md); off by default. */
  SIGNUP_ENABLED?: string;
}

const base64urlKey = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, "must be 32 random bytes, base64url-encoded (43 characters)");

const configSchema = z.object({
  issuer: z
    .url({ protocol: /^https?$/ })
    .refine((u) => !u.endsWith("/") && !u.includes("?") && !u.includes("#"), "no trailing slash, query or fragment"),
  tokenLifetimeSeconds: z.coerce.number().int().min(60).max(86_400),
  signingAlg: z.enum(["ES256", "EdDSA", "RS256"]),
  signingKeyRotationDays: z.coerce.number().int().min(1).max(365),
  secretPepper: base64urlKey,
  keyEncryptionKey: base64urlKey,
  secretPepperPrevious: base64urlKey.optional(),
  keyEncryptionKeyPrevious: base64urlKey.optional(),
  bootstrapToken: z.string().min(32).optional(),
  access: z
    .object({
      teamDomain: z.string().regex(/^(https:\/\/)?[A-Za-z0-9.-]+\/?$/, "a team name or host"),
      audience: z.string().min(1),
    })
    .optional(),
  webhookTimeoutSeconds: z.coerce.number().int().min(1).max(30),
  secretScanningKeysUrl: z
    .url({ protocol: /^https?$/ })
    .refine(
      (u) => u.startsWith("https://") || /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/.test(u),
      "must use https (plain http only to a loopback host)",
    ),
  dpopNonces: z.enum(["on", "off"]).transform((v) => v === "on"),
  signupEnabled: z.boolean(),
});

/** GitHub's published key set for secret-scanning partner reports. */
export const GITHUB_SECRET_SCANNING_KEYS_URL = "https://api.github.com/meta/public_keys/secret_scanning";

export type Config = z.infer<typeof configSchema>;

let cached: { env: Env; raw: string; config: Config } | undefined;

const RAW_FIELDS = [
  "ISSUER",
  "TOKEN_LIFETIME_SECONDS",
  "SIGNING_ALG",
  "SIGNING_KEY_ROTATION_DAYS",
  "SECRET_PEPPER",
  "KEY_ENCRYPTION_KEY",
  "SECRET_PEPPER_PREVIOUS",
  "KEY_ENCRYPTION_KEY_PREVIOUS",
  "BOOTSTRAP_TOKEN",
  "ACCESS_TEAM_DOMAIN",
  "ACCESS_AUD",
  "WEBHOOK_TIMEOUT_SECONDS",
  "SECRET_SCANNING_KEYS_URL",
  "DPOP_NONCES",
  "SIGNUP_ENABLED",
] as const;

/**
 * Parses the Worker's vars and secrets once per isolate. The cache holds while the env object is the same,
 * or carries the same values (workerd may hand a request a fresh env object with identical bindings).
 */
export function getConfig(env: Env): Config {
  if (cached?.env === env) return cached.config;
  const raw = RAW_FIELDS.map((name) => env[name] ?? "").join("\n");
  if (cached?.raw === raw) {
    cached.env = env;
    return cached.config;
  }
  const parsed = configSchema.safeParse({
    issuer: env.ISSUER,
    tokenLifetimeSeconds: env.TOKEN_LIFETIME_SECONDS ?? "3600",
    signingAlg: env.SIGNING_ALG ?? "ES256",
    signingKeyRotationDays: env.SIGNING_KEY_ROTATION_DAYS ?? "30",
    secretPepper: env.SECRET_PEPPER,
    keyEncryptionKey: env.KEY_ENCRYPTION_KEY,
    secretPepperPrevious: env.SECRET_PEPPER_PREVIOUS || undefined,
    keyEncryptionKeyPrevious: env.KEY_ENCRYPTION_KEY_PREVIOUS || undefined,
    bootstrapToken: env.BOOTSTRAP_TOKEN || undefined,
    access:
      env.ACCESS_TEAM_DOMAIN && env.ACCESS_AUD
        ? { teamDomain: env.ACCESS_TEAM_DOMAIN, audience: env.ACCESS_AUD }
        : undefined,
    webhookTimeoutSeconds: env.WEBHOOK_TIMEOUT_SECONDS || "10",
    secretScanningKeysUrl: env.SECRET_SCANNING_KEYS_URL || GITHUB_SECRET_SCANNING_KEYS_URL,
    dpopNonces: env.DPOP_NONCES || "off",
    signupEnabled: env.SIGNUP_ENABLED === "true",
  });
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`Latchkey is misconfigured: ${fields}`);
  }
  cached = { env, raw, config: parsed.data };
  return parsed.data;
}

/** The longest lifetime a credential may set for its tokens (24 h). */
export const MAX_TOKEN_LIFETIME_SECONDS = 86_400;
/** JWKS Cache-Control max-age: bounded, so verifiers pick up a new key within minutes. */
export const JWKS_MAX_AGE_SECONDS = 600;
/** Leeway added to token lifetimes when deciding a retired signing key can be dropped. */
export const CLOCK_SKEW_SECONDS = 300;
