/**
 * OpenAPI paths of tenants as realms (docs/realms.md): operator creation, self-service sign-up and the public
 * read telling the sign-in page whether it is open, switching the session's tenant, and claiming another
 * tenant's first-owner link or joining one by invitation. Request bodies come from the zod schemas.
 */
import { z } from "zod";
import * as schemas from "./tenant-schemas";
import { invitationLookupSchema } from "./people-schemas";

const json = (schema: z.ZodType) => ({
  content: { "application/json": { schema: z.toJSONSchema(schema, { io: "input" }) } },
});
const problem = {
  description: "RFC 9457 problem details",
  content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
};
const ok = (description: string) => ({ description, content: { "application/json": { schema: { type: "object" } } } });
const errors = { "400": problem, "401": problem, "403": problem, "404": problem, "409": problem };

export const realmPaths = {
  "/tenants": {
    post: {
      summary:
        "Create a tenant, its own issuer {ISSUER}/t/{id} (Authorization: Bearer BOOTSTRAP_TOKEN). 409 tenant_exists for a taken id",
      security: [],
      requestBody: json(schemas.createTenantSchema),
      responses: { "201": ok("{tenant, issuer, metadata_url, management_resource, owner_link}; no-store"), ...errors },
    },
  },
  "/auth/options": {
    get: {
      summary: "What the sign-in page may offer, unauthenticated: signup_enabled (SIGNUP_ENABLED=true)",
      security: [],
      responses: {
        "200": {
          description: "no-store",
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["signup_enabled"],
                properties: { signup_enabled: { type: "boolean" } },
              },
            },
          },
        },
      },
    },
  },
  "/signup": {
    post: {
      summary: "Self-service sign-up (only with SIGNUP_ENABLED=true, else 404): a tenant with the caller as its owner",
      security: [],
      requestBody: json(schemas.signUpSchema),
      responses: { "201": ok("{tenant, issuer, metadata_url, user}; sets the session cookie"), ...errors },
    },
  },
  "/auth/claim-owner": {
    post: {
      summary:
        "A signed-in person becomes the owner of the tenant whose first-owner link they hold; the session switches to it",
      security: [{ cookie: [] }],
      requestBody: json(schemas.claimOwnerLinkSchema),
      responses: { "200": ok("{tenant, role}"), ...errors },
    },
  },
  "/auth/join": {
    post: {
      summary:
        "A signed-in person accepts an invitation sent to their account's email: they join its tenant by membership with the invited role; the session switches to it",
      security: [{ cookie: [] }],
      requestBody: json(invitationLookupSchema),
      responses: { "200": ok("{tenant, role}"), ...errors },
    },
  },
  "/me/tenants": {
    get: {
      summary: "The tenants the signed-in person belongs to, with their role, issuer and which is active",
      security: [{ cookie: [] }],
      responses: { "200": ok("{active, tenants}"), ...errors },
    },
  },
  "/me/tenant": {
    post: {
      summary: "Switch the session's active tenant (checked against the person's memberships; audited in both tenants)",
      security: [{ cookie: [] }],
      requestBody: json(schemas.switchTenantSchema),
      responses: { "200": ok("{active, issuer, user}"), ...errors },
    },
  },
};
