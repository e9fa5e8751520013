/**
 * The console's part of the OpenAPI document: sign-in, the first-owner link, invitations, members, sessions,
 * /me and signing keys. People authenticate with the session cookie (state-changing requests also need a
 * same-origin Origin or Sec-Fetch-Site), machines with a bearer token; both are checked through scopes.
 */
import { z } from "zod";
import * as schemas from "./people-schemas";

const json = (schema: z.ZodType) => ({
  content: { "application/json": { schema: z.toJSONSchema(schema, { io: "input" }) } },
});
const problem = {
  description: "RFC 9457 problem details",
  content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
};
const ok = (description: string) => ({ description, content: { "application/json": { schema: { type: "object" } } } });
const empty = (description: string) => ({ description });
const errors = { "400": problem, "401": problem, "403": problem, "404": problem, "409": problem };
const secured = (scope?: string) => ({
  security: [{ cookie: scope ? [scope] : [] }, { bearer: scope ? [scope] : [] }],
});
const cookieOnly = { security: [{ cookie: [] }] };
const open = { security: [] };
const setsCookie = {
  headers: {
    "Set-Cookie": { schema: { type: "string" }, description: "The session cookie (HttpOnly, SameSite=Strict)" },
  },
};
const id = (description: string) => [
  { name: "id", in: "path", required: true, schema: { type: "string" }, description },
];

export const cookieScheme = {
  type: "apiKey",
  in: "cookie",
  name: "__Host-latchkey_session",
  description:
    "Console session (`latchkey_session` when the issuer is plain http). Idle timeout 30 min, absolute 12 h.",
};

export const consolePaths = {
  "/auth/login": {
    post: {
      summary:
        "Sign in with email and password; 429 with Retry-After after 5 failures per account or 20 per IP in 15 minutes",
      ...open,
      requestBody: json(schemas.loginSchema),
      responses: {
        "200": { ...ok("Signed in"), ...setsCookie },
        "401": problem,
        "403": problem,
        "429": problem,
        "400": problem,
      },
    },
  },
  "/auth/logout": {
    post: {
      summary: "End the current session and clear the cookie",
      ...cookieOnly,
      responses: { "204": empty("Signed out"), "403": problem },
    },
  },
  "/auth/setup-owner": {
    post: {
      summary: "Create the first owner with a one-time owner link",
      ...open,
      requestBody: json(schemas.setupOwnerSchema),
      responses: { "201": { ...ok("Owner created and signed in"), ...setsCookie }, ...errors },
    },
  },
  "/auth/invitation": {
    post: {
      summary:
        "Look up an invitation link by its token (in the body, never the URL): email, role, expiry, tenant, and whether the email already has an account (then it joins with POST /auth/join once signed in)",
      ...open,
      requestBody: json(schemas.invitationLookupSchema),
      responses: { "200": ok("Invitation"), "400": problem, "405": problem },
    },
  },
  "/auth/accept-invite": {
    post: {
      summary: "Accept an invitation: create the person with its role and sign in",
      ...open,
      requestBody: json(schemas.acceptInviteSchema),
      responses: { "201": { ...ok("Signed up"), ...setsCookie }, ...errors },
    },
  },
  "/bootstrap/owner-link": {
    post: {
      summary: "One-time link (1 hour) to create the first owner; Authorization: Bearer <BOOTSTRAP_TOKEN>",
      security: [{ bootstrap: [] }],
      responses: { "201": ok("{url, expires_at}"), "401": problem, "404": problem, "409": problem },
    },
  },
  "/me": {
    get: {
      summary: "The caller: person, session, scopes and how they authenticated",
      ...secured(),
      responses: { "200": ok("Caller"), "401": problem },
    },
  },
  "/members": {
    get: {
      summary: "List the tenant's people",
      ...secured("members:read"),
      responses: { "200": ok("Members"), ...errors },
    },
  },
  "/members/{id}": {
    parameters: id("The person's id"),
    patch: {
      summary: "Change a person's role (owners only; the last owner cannot be demoted)",
      ...secured("members:write"),
      requestBody: json(schemas.patchMemberSchema),
      responses: { "200": ok("Member"), ...errors },
    },
    delete: {
      summary: "Remove a person and end their sessions (owners only)",
      ...secured("members:write"),
      responses: { "204": empty("Removed"), ...errors },
    },
  },
  "/invitations": {
    get: {
      summary: "List invitations and their status",
      ...secured("members:write"),
      responses: { "200": ok("Invitations"), ...errors },
    },
    post: {
      summary: "Invite a person with a role; the link (7 days, single use) is shown once",
      ...secured("members:write"),
      requestBody: json(schemas.createInvitationSchema),
      responses: { "201": ok("Invitation with url"), ...errors },
    },
  },
  "/invitations/{id}": {
    parameters: id("The invitation's id"),
    delete: {
      summary: "Revoke a pending invitation",
      ...secured("members:write"),
      responses: { "204": empty("Revoked"), ...errors },
    },
  },
  "/sessions": {
    get: {
      summary: "Sessions, console and tool (`kind: device`, latchkey login): one's own, or the tenant's for owners",
      ...cookieOnly,
      responses: { "200": ok("Sessions"), ...errors },
    },
  },
  "/sessions/{id}": {
    parameters: id("The session's id"),
    delete: {
      summary: "End a session (one's own, or anyone's for owners); it stops working at once",
      ...cookieOnly,
      responses: { "204": empty("Ended"), ...errors },
    },
  },
  "/device/lookup": {
    post: {
      summary: "A pending tool sign-in by its user code (RFC 8628): the tool, its reported host, the role's scopes",
      ...cookieOnly,
      requestBody: json(z.strictObject({ user_code: z.string().max(32) })),
      responses: { "200": ok("Pending sign-in"), ...errors },
    },
  },
  "/device/approve": {
    post: {
      summary: "Approve a tool's sign-in as yourself (console session only; audited)",
      ...cookieOnly,
      requestBody: json(z.strictObject({ user_code: z.string().max(32) })),
      responses: { "200": ok("Approved"), ...errors },
    },
  },
  "/device/deny": {
    post: {
      summary: "Deny a tool's sign-in (audited)",
      ...cookieOnly,
      requestBody: json(z.strictObject({ user_code: z.string().max(32) })),
      responses: { "200": ok("Denied"), ...errors },
    },
  },
  "/signing-keys": {
    get: {
      summary: "Published signing keys and their status",
      ...secured("credentials:read"),
      responses: { "200": ok("Keys"), ...errors },
    },
  },
};
