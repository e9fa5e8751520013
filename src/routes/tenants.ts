/**
 * Tenants as realms (docs/realms.md): the operator creates one behind BOOTSTRAP_TOKEN (POST /api/v1/tenants,
 * answering its issuer and a one-time first-owner link); with SIGNUP_ENABLED anyone may sign one up (POST
 * /api/v1/signup), becoming its owner; a signed-in person may claim another tenant's first-owner link
 * (POST /api/v1/auth/claim-owner) or join one by an invitation to their email (POST /api/v1/auth/join).
 * GET /api/v1/auth/options tells the sign-in page, unauthenticated, whether sign-up is open. Everything that
 * sets a cookie answers no-store.
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../context";
import { problems } from "../domain/errors";
import { MANAGEMENT_RESOURCE } from "../domain/management";
import { bootstrapAuth } from "../middleware/bootstrap-auth";
import { assertNotCrossSite, assertSameOrigin } from "../middleware/csrf";
import { NO_STORE_HEADERS } from "../middleware/error-handler";
import { clientIp, withinLimit } from "../middleware/rate-limit";
import { ctxOf } from "../middleware/request-context";
import { personFromSession } from "../middleware/session-auth";
import { validate } from "../middleware/validate";
import { claimOwnerLink, joinByInvitation, type SessionPerson } from "../services/memberships";
import type { RequestFacts } from "../services/sign-in";
import { createTenantWithOwnerLink, signUpTenant } from "../services/tenant-creation";
import { sessionCookie } from "../services/sessions";
import { SESSION_ABSOLUTE_MS } from "../domain/session-rules";
import { AUTH_FAILURE_WINDOW_SECONDS } from "../tunables";
import { userView } from "./admin/people-views";
import { invitationLookupSchema } from "./admin/people-schemas";
import { claimOwnerLinkSchema, createTenantSchema, signUpSchema } from "./admin/tenant-schemas";
import { iso } from "./admin/views";

function facts(c: Context<AppEnv>): RequestFacts {
  return { ip: c.req.header("cf-connecting-ip") ?? null, userAgent: c.req.header("user-agent") ?? null };
}

/** A tenant as the API shows it: id, name, its issuer and where its RFC 8414 metadata is. */
function tenantView(c: Context<AppEnv>, t: { id: string; name: string; createdAt: number }, issuer: string) {
  const root = ctxOf(c).config.issuer;
  return {
    tenant: { id: t.id, name: t.name, created_at: iso(t.createdAt) },
    issuer,
    metadata_url: `${root}/.well-known/oauth-authorization-server/t/${t.id}`,
    management_resource: MANAGEMENT_RESOURCE,
  };
}

export const tenantRoutes = new Hono<AppEnv>();

tenantRoutes.post("/api/v1/tenants", bootstrapAuth(), validate("json", createTenantSchema), async (c) => {
  const ctx = ctxOf(c);
  const created = await createTenantWithOwnerLink(ctx, c.req.valid("json"), facts(c), ctx.clock());
  return c.json(
    {
      ...tenantView(c, created.tenant, created.issuer),
      owner_link: { url: created.ownerLink.url, expires_at: iso(created.ownerLink.expiresAt) },
    },
    201,
    { ...NO_STORE_HEADERS, Location: `/api/v1/tenants/${created.tenant.id}` },
  );
});

// Public on purpose: whether sign-up is open is what the sign-in page shows anyone who loads the console.
tenantRoutes.get("/api/v1/auth/options", (c) =>
  c.json({ signup_enabled: ctxOf(c).config.signupEnabled }, 200, NO_STORE_HEADERS),
);

tenantRoutes.post(
  "/api/v1/signup",
  async (c, next) => {
    if (!ctxOf(c).config.signupEnabled) throw problems.notFound("endpoint");
    if (!(await withinLimit(c.env.AUTH_FAILURE_LIMITER, `signup|${clientIp(c)}`)))
      throw problems.rateLimited(AUTH_FAILURE_WINDOW_SECONDS);
    await next();
  },
  validate("json", signUpSchema),
  async (c) => {
    const ctx = ctxOf(c);
    const nowMs = ctx.clock();
    const body = c.req.valid("json");
    const person = await personFromSession(c, nowMs);
    if (person) assertSameOrigin(c);
    else assertNotCrossSite(c);
    const account = { email: body.email, name: body.name, password: body.password };
    if (!person && (!account.email || !account.name || !account.password))
      throw problems.badRequest("Sign in first, or send email, name and password for the new owner's account.");
    const owner = person ? { user: person.user } : (account as { email: string; name: string; password: string });
    const t = { id: body.tenant_id, name: body.tenant_name };
    const created = await signUpTenant(ctx, t, owner, facts(c), nowMs);
    return c.json({ ...tenantView(c, created.tenant, created.issuer), user: userView(created.user) }, 201, {
      ...NO_STORE_HEADERS,
      "Set-Cookie": sessionCookie(ctx.config.issuer, created.token, SESSION_ABSOLUTE_MS / 1000),
    });
  },
);

/** The signed-in person and their session behind a same-origin request, or 401: who claims or joins. */
async function signedInPerson(c: Context<AppEnv>, nowMs: number): Promise<SessionPerson> {
  const person = await personFromSession(c, nowMs);
  if (!person?.session) throw problems.unauthorized();
  assertSameOrigin(c);
  return { user: person.user, session: person.session };
}

tenantRoutes.post("/api/v1/auth/claim-owner", validate("json", claimOwnerLinkSchema), async (c) => {
  const ctx = ctxOf(c);
  const nowMs = ctx.clock();
  const who = await signedInPerson(c, nowMs);
  const claimed = await claimOwnerLink(ctx, who, c.req.valid("json").token, facts(c), nowMs);
  return c.json({ tenant: { id: claimed.tenantId }, role: "owner" }, 200, NO_STORE_HEADERS);
});

tenantRoutes.post("/api/v1/auth/join", validate("json", invitationLookupSchema), async (c) => {
  const ctx = ctxOf(c);
  const nowMs = ctx.clock();
  const who = await signedInPerson(c, nowMs);
  const joined = await joinByInvitation(ctx, who, c.req.valid("json").token, facts(c), nowMs);
  return c.json({ tenant: { id: joined.tenantId }, role: joined.role }, 200, NO_STORE_HEADERS);
});
