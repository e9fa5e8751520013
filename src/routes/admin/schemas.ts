/**
 * The admin API's request shapes, validated once at the edge with zod. The same schemas produce the
 * OpenAPI document, so the docs cannot drift from what the server accepts.
 */
import { z } from "zod";
import { isValidGroup, isValidLabel, MAX_ROTATION_GRACE_SECONDS } from "../../domain/credential-rules";
import { isValidResourceUri, isValidScopeName } from "../../domain/scopes";
import { MAX_TOKEN_LIFETIME_SECONDS } from "../../config";
import { guardrailFields } from "./guardrail-schemas";

const label = z.string().refine(isValidLabel, "1-64 printable characters, no leading or trailing space");
const group = z.string().refine(isValidGroup, "1-64 characters, no spaces or control characters");
const scopeName = z.string().refine(isValidScopeName, "a scope token as RFC 6749 section 3.3 defines it");
const resourceUri = z.string().refine(isValidResourceUri, "an absolute URI without a fragment");
const timestamp = z.iso.datetime({ offset: true });

export const grantSchema = z.strictObject({
  resource: resourceUri,
  scopes: z.array(scopeName).min(1).max(100),
});

export const createResourceSchema = z.strictObject({
  uri: resourceUri,
  name: z.string().trim().min(1).max(100),
  scopes: z
    .array(
      z.strictObject({
        name: scopeName,
        description: z.string().max(200).default(""),
        write: z.boolean().default(false),
      }),
    )
    .min(1)
    .max(100),
});

/** How a setup code delivers: "key" (the default) registers the machine's public key; "secret" returns a client secret. */
const setupMode = z.enum(["key", "secret"]);

export const createCredentialSchema = z
  .strictObject({
    label,
    grants: z.array(grantSchema).min(1).max(20),
    groups: z.array(group).max(32).default([]),
    expires_at: timestamp.optional(),
    token_lifetime: z.number().int().min(60).max(MAX_TOKEN_LIFETIME_SECONDS).optional(),
    /** RFC 9449: mint only with a DPoP proof. */
    require_dpop: z.boolean().optional(),
    /** "secret": the response holds client_secret. "setup_code": no secret; a one-time code provisions the machine. */
    delivery: z.enum(["secret", "setup_code"]).default("secret"),
    /** With delivery "setup_code" only: the mode the code must be redeemed in. */
    mode: setupMode.optional(),
    ...guardrailFields,
  })
  .refine((b) => b.mode === undefined || b.delivery === "setup_code", {
    message: "mode is allowed only with delivery setup_code",
    path: ["mode"],
  });

export const patchCredentialSchema = z
  .strictObject({
    groups: z.array(group).max(32).optional(),
    grants: z.array(grantSchema).min(1).max(20).optional(),
    ...guardrailFields,
    require_dpop: z.boolean().optional(),
  })
  .refine(
    (v) =>
      v.groups !== undefined ||
      v.grants !== undefined ||
      v.network !== undefined ||
      v.quota !== undefined ||
      v.require_dpop !== undefined,
    "send groups, grants, network, quota, require_dpop or several",
  );

export const rotateSecretSchema = z.strictObject({
  grace_period_seconds: z.number().int().min(0).max(MAX_ROTATION_GRACE_SECONDS).optional(),
});

export const revokeSchema = z.strictObject({ confirm_label: z.string().max(200) });

export const listCredentialsQuery = z.strictObject({
  status: z.enum(["active", "revoked", "expired"]).optional(),
  group: group.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(200),
});

export const auditQuery = z.strictObject({
  actor: z.string().max(200).optional(),
  action: z.string().max(100).optional(),
  target: z.string().max(100).optional(),
  since: timestamp.optional(),
  until: timestamp.optional(),
  before: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const bootstrapSchema = z.strictObject({ recreate: z.boolean().default(false) });

export const createSetupCodeSchema = z.strictObject({ mode: setupMode.default("key") });

const b64u = (length: number) =>
  z.string().regex(new RegExp(`^[A-Za-z0-9_-]{${length}}$`), `${length} base64url characters`);
const PRIVATE_JWK_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "k", "oth"];

/** A public JWK for private_key_jwt: ES256 (EC P-256) or EdDSA (OKP Ed25519); private members are refused. */
export const clientPublicJwkSchema = z
  .looseObject({
    kty: z.enum(["EC", "OKP"]),
    crv: z.enum(["P-256", "Ed25519"]),
    x: b64u(43),
    y: b64u(43).optional(),
    alg: z.enum(["ES256", "EdDSA", "Ed25519"]).optional(),
    use: z.literal("sig").optional(),
    kid: z.string().max(200).optional(),
    key_ops: z.array(z.literal("verify")).optional(),
    ext: z.boolean().optional(),
  })
  .refine(
    (jwk) => PRIVATE_JWK_MEMBERS.every((m) => !(m in jwk)),
    "a public key only: private members (d, ...) are refused",
  )
  .refine(
    (jwk) =>
      jwk.kty === "EC"
        ? jwk.crv === "P-256" && jwk.y !== undefined && (jwk.alg ?? "ES256") === "ES256"
        : jwk.crv === "Ed25519" && jwk.y === undefined && (jwk.alg ?? "EdDSA") !== "ES256",
    "an EC P-256 key for ES256 or an OKP Ed25519 key for EdDSA",
  )
  .refine(
    (jwk) => Object.keys(jwk).every((m) => ["kty", "crv", "x", "y", "alg", "use", "kid", "key_ops", "ext"].includes(m)),
    "unknown JWK member",
  );

const printable = z
  .string()
  .min(1)
  .max(255)
  .refine((v) => !/\p{Cc}/u.test(v), "printable characters only");

/** POST /setup/redeem. */
export const redeemSetupCodeSchema = z
  .strictObject({
    code: z.string().max(100),
    mode: z.enum(["key", "secret"]),
    public_jwk: clientPublicJwkSchema.optional(),
    hostname: printable.optional(),
  })
  .refine((b) => (b.mode === "key") === (b.public_jwk !== undefined), {
    message: "public_jwk is required in key mode and not allowed in secret mode",
    path: ["public_jwk"],
  });
