/**
 * GET /api/v1/openapi.json: OpenAPI 3.1 for the admin API, with request bodies generated from the zod schemas
 * and the Problem schema generated from the problem-code catalog, so the document cannot drift from either.
 */
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../context";
import { ctxOf } from "../../middleware/request-context";
import { PROBLEM_CATALOG, PROBLEM_FIELDS } from "../../domain/problems";
import { consolePaths, cookieScheme } from "./openapi-console";
import { webhookPaths } from "./openapi-webhooks";
import { realmPaths } from "./openapi-realms";
import * as schemas from "./schemas";
import * as federationSchemas from "./federation-schemas";

const json = (schema: z.ZodType) => ({
  content: { "application/json": { schema: z.toJSONSchema(schema, { io: "input" }) } },
});
const problem = {
  description: "RFC 9457 problem details",
  content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
};
const ok = (description: string) => ({ description, content: { "application/json": { schema: { type: "object" } } } });
const errors = { "400": problem, "401": problem, "403": problem, "404": problem, "409": problem };
const idParam = {
  name: "id",
  in: "path",
  required: true,
  schema: { type: "string" },
  description: "The credential's client_id",
};

/**
 * RFC 9457 problem details as Latchkey sends them: `code` is one of the catalogued codes (domain/problems.ts),
 * listed with their status and title under `x-problem-codes`; the typed extras appear under their wire names.
 */
const problemSchema = {
  type: "object",
  required: ["type", "title", "status", "code"],
  properties: {
    type: { type: "string" },
    title: { type: "string" },
    status: { type: "integer" },
    detail: { type: "string" },
    code: { type: "string", enum: Object.keys(PROBLEM_CATALOG) },
    [PROBLEM_FIELDS.retryAfterSeconds]: { type: "integer", description: "Seconds to wait; also sent as Retry-After" },
    [PROBLEM_FIELDS.allow]: { type: "string", description: "The methods the endpoint accepts; also sent as Allow" },
    [PROBLEM_FIELDS.missingScopes]: {
      type: "array",
      items: { type: "string" },
      description: "The management scopes the caller lacks",
    },
    [PROBLEM_FIELDS.maxBytes]: { type: "integer", description: "The request body limit" },
    [PROBLEM_FIELDS.expectedMode]: {
      type: "string",
      enum: ["key", "secret"],
      description: "The mode the setup code was issued for",
    },
    [PROBLEM_FIELDS.errors]: {
      type: "array",
      items: { type: "object", properties: { path: { type: "string" }, message: { type: "string" } } },
      description: "The fields that failed validation",
    },
  },
  "x-problem-codes": Object.entries(PROBLEM_CATALOG).map(([code, { status, title }]) => ({ code, status, title })),
};

function queryParams(schema: z.ZodObject) {
  const shape = z.toJSONSchema(schema, { io: "input" }) as { properties?: Record<string, unknown> };
  return Object.entries(shape.properties ?? {}).map(([name, s]) => ({ name, in: "query", required: false, schema: s }));
}

function document(issuer: string) {
  const secured = (scope: string) => ({ security: [{ bearer: [scope] }] });
  return {
    openapi: "3.1.0",
    info: {
      title: "Latchkey admin API",
      version: "1",
      description: "Manage service credentials, resources and the audit log.",
    },
    servers: [{ url: `${issuer}/api/v1` }],
    components: {
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description: "An access token for urn:latchkey:management",
        },
        cookie: cookieScheme,
        bootstrap: { type: "http", scheme: "bearer", description: "The BOOTSTRAP_TOKEN secret" },
      },
      schemas: {
        Problem: problemSchema,
      },
    },
    paths: {
      ...consolePaths,
      ...webhookPaths,
      ...realmPaths,
      "/resources": {
        get: {
          summary: "List resources",
          ...secured("resources:read"),
          responses: { "200": ok("Resources"), ...errors },
        },
        post: {
          summary: "Define a resource and its scopes",
          ...secured("resources:write"),
          requestBody: json(schemas.createResourceSchema),
          responses: { "201": ok("Created"), ...errors },
        },
      },
      "/credentials": {
        get: {
          summary: "List credentials",
          ...secured("credentials:read"),
          parameters: queryParams(schemas.listCredentialsQuery),
          responses: { "200": ok("Credentials"), ...errors },
        },
        post: {
          summary:
            'Create a credential. delivery "secret": the response holds client_secret; "setup_code": no secret, a one-time setup_code {code, expires_at, command, mode} instead (mode "key" by default, "secret" only when asked; redemption accepts only that mode). Either is shown only this once',
          ...secured("credentials:write"),
          requestBody: json(schemas.createCredentialSchema),
          responses: { "201": ok("Created"), ...errors },
        },
      },
      "/credentials/{id}": {
        parameters: [idParam],
        get: {
          summary: "Read a credential",
          description:
            "With its secrets, keys, setup code, guardrails ({network, quota}), recent_sources and caching_health (docs/guardrails.md)",
          ...secured("credentials:read"),
          responses: { "200": ok("Credential"), ...errors },
        },
        patch: {
          summary:
            "Change groups, narrow grants, or set or remove guardrails (network allow-list, quotas; null removes)",
          ...secured("credentials:write"),
          requestBody: json(schemas.patchCredentialSchema),
          responses: { "200": ok("Updated"), ...errors },
        },
      },
      "/credentials/{id}/secrets": {
        parameters: [idParam],
        post: {
          summary: "Rotate: add a secret; live secrets expire after the grace period",
          ...secured("credentials:write"),
          requestBody: json(schemas.rotateSecretSchema),
          responses: { "201": ok("New secret, shown once"), ...errors },
        },
      },
      "/credentials/{id}/secrets/{secret_id}": {
        parameters: [idParam, { name: "secret_id", in: "path", required: true, schema: { type: "string" } }],
        delete: {
          summary: "Retire a secret now",
          ...secured("credentials:write"),
          responses: { "200": ok("Credential"), ...errors },
        },
      },
      "/credentials/{id}/setup-codes": {
        parameters: [idParam],
        post: {
          summary:
            'Make a setup code for an active credential (10 minutes, single use; cancels every unredeemed older one). Body {mode?: "key" (default) | "secret"}: the only mode it can be redeemed in. Redeeming adds a secret or key next to the live ones; past two live of a kind, the oldest gets the 24 h rotation grace',
          ...secured("credentials:write"),
          requestBody: json(schemas.createSetupCodeSchema),
          responses: {
            "201": ok("{setup_code: {code, expires_at, command, mode}, credential}; the code is shown only this once"),
            ...errors,
          },
        },
      },
      "/credentials/{id}/keys/{key_id}": {
        parameters: [
          idParam,
          {
            name: "key_id",
            in: "path",
            required: true,
            schema: { type: "string" },
            description: "The key's id or its RFC 7638 thumbprint",
          },
        ],
        delete: {
          summary: "Retire a public key (private_key_jwt) now",
          ...secured("credentials:write"),
          responses: { "200": ok("Credential"), ...errors },
        },
      },
      "/setup/redeem": {
        servers: [{ url: issuer }],
        post: {
          summary:
            'Redeem a setup code (no authentication but the code). mode "secret" returns client_secret once; mode "key" registers public_jwk (ES256 or EdDSA) and returns its thumbprint as key_id',
          security: [],
          requestBody: json(schemas.redeemSetupCodeSchema),
          responses: {
            "200": ok(
              "{issuer, token_endpoint, client_id, name, label, mode, client_secret | key_id}; Cache-Control: no-store",
            ),
            "400": {
              ...problem,
              description:
                "invalid_setup_code (unknown, expired, used or cancelled: one identical body), setup_mode_mismatch (a live code redeemed in another mode than it was issued for: not consumed; expected_mode says which) or invalid_request",
            },
            "409": problem,
            "429": { ...problem, description: "rate_limited, with Retry-After" },
            "503": { ...problem, description: "temporarily_unavailable: the code was released, retry with it" },
          },
        },
      },
      "/credentials/{id}/federated-identities": {
        parameters: [idParam],
        get: {
          summary: "List the credential's federated identities (RFC 8693 trust rules), with per-rule last use",
          ...secured("credentials:read"),
          responses: { "200": ok("{federated_identities: [...]}"), ...errors },
        },
        post: {
          summary:
            'Add a federated identity: preset "github-actions" (pins repository_owner_id and repository_id), "gitlab" (namespace_id, project_id), "kubernetes" (subject system:serviceaccount:<ns>:<name>) or "generic"; a rule that would accept every token of its issuer is refused; at most 20 per credential; audience defaults to the issuer URL of Latchkey',
          ...secured("credentials:write"),
          requestBody: json(federationSchemas.createFederatedIdentitySchema),
          responses: { "201": ok("The federated identity"), ...errors },
        },
      },
      "/credentials/{id}/federated-identities/test": {
        parameters: [idParam],
        post: {
          summary:
            "Dry run: which rule a subject token matches, or the condition each rule of its issuer fails (nothing minted, jti not consumed)",
          ...secured("credentials:read"),
          requestBody: json(federationSchemas.testSubjectTokenSchema),
          responses: {
            "200": ok("{matched, token_problem, credential_status, rules: [{id, failed}], claims}"),
            ...errors,
          },
        },
      },
      "/credentials/{id}/federated-identities/{fid}": {
        parameters: [idParam, { name: "fid", in: "path", required: true, schema: { type: "string" } }],
        delete: {
          summary: "Delete a federated identity now",
          ...secured("credentials:write"),
          responses: { "200": ok("{federated_identities: [...]}"), ...errors },
        },
      },
      "/credentials/{id}/revoke": {
        parameters: [idParam],
        post: {
          summary: "Revoke a credential (confirm_label must equal its label)",
          ...secured("credentials:write"),
          requestBody: json(schemas.revokeSchema),
          responses: { "200": ok("Revoked"), ...errors },
        },
      },
      "/credentials/{id}/tokens/revoke": {
        parameters: [idParam],
        post: {
          summary: "Revoke issued tokens: every token the credential holds now stops being accepted",
          ...secured("credentials:write"),
          responses: { "200": ok("{id, tokens_not_before}"), ...errors },
        },
      },
      "/audit": {
        get: {
          summary: "Read the audit log",
          ...secured("audit:read"),
          parameters: queryParams(schemas.auditQuery),
          responses: { "200": ok("Events"), ...errors },
        },
      },
    },
  };
}

export const openApiRoutes = new Hono<AppEnv>();

let cached: { issuer: string; body: string } | undefined;

openApiRoutes.get("/api/v1/openapi.json", (c) => {
  const { issuer } = ctxOf(c).config;
  if (cached?.issuer !== issuer) cached = { issuer, body: JSON.stringify(document(issuer)) };
  return c.body(cached.body, 200, { "Content-Type": "application/json", "Cache-Control": "public, max-age=300" });
});
