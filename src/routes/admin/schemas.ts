/**
 * The admin API's request shapes, validated once at the edge with zod. The same schemas produce the
 * OpenAPI document, so the docs cannot drift from what the server accepts.
 */
import { z } from "zod";
import { isValidGroup, isValidLabel, MAX_ROTATION_GRACE_SECONDS } from "../../domain/credential-rules";
import { isValidResourceUri, isValidScopeName } from "../../domain/scopes";
import { MAX_TOKEN_LIFETIME_SECONDS } from "../../config";

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

export const createCredentialSchema = z.strictObject({
  label,
  grants: z.array(grantSchema).min(1).max(20),
  groups: z.array(group).max(32).default([]),
  expires_at: timestamp.optional(),
  token_lifetime: z.number().int().min(60).max(MAX_TOKEN_LIFETIME_SECONDS).optional(),
  delivery: z.enum(["secret"]).default("secret"),
});

export const patchCredentialSchema = z
  .strictObject({
    groups: z.array(group).max(32).optional(),
    grants: z.array(grantSchema).min(1).max(20).optional(),
  })
  .refine((v) => v.groups !== undefined || v.grants !== undefined, "send groups, grants or both");

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
