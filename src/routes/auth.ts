/**
 * The console's unauthenticated edge: sign-in and sign-out, the first-owner link (behind BOOTSTRAP_TOKEN) and
 * its use, invitation lookup (POST: the token stays out of URLs) and acceptance; plus GET /me for any
 * authenticated caller. Sign-in style POSTs
 * refuse cross-site browsers (login CSRF); everything that sets a cookie answers no-store.
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../context";
import { assertNotCrossSite, assertSameOrigin } from "../middleware/csrf";
import { bootstrapAuth } from "../middleware/bootstrap-auth";
import { NO_STORE_HEADERS } from "../middleware/error-handler";
import { ctxOf } from "../middleware/request-context";
import { personFromSession } from "../middleware/session-auth";
import { validate } from "../middleware/validate";
import { problems } from "../domain/errors";
import { issuerFor } from "../domain/realms";
import { acceptInvitation, createOwnerLink, invitationSummary, setupOwner } from "../services/people";
import { SESSION_ABSOLUTE_MS, sessionExpiry } from "../domain/session-rules";
import { sessionCookie } from "../services/sessions";
import { signIn, signOut, type RequestFacts } from "../services/sign-in";
import { iso } from "./admin/views";
import { userView } from "./admin/people-views";
import { acceptInviteSchema, invitationLookupSchema, loginSchema, setupOwnerSchema } from "./admin/people-schemas";

function facts(c: Context<AppEnv>): RequestFacts {
  return { ip: c.req.header("cf-connecting-ip") ?? null, userAgent: c.req.header("user-agent") ?? null };
}

function withCookie(c: Context<AppEnv>, token: string) {
  return {
    ...NO_STORE_HEADERS,
    "Set-Cookie": sessionCookie(ctxOf(c).config.issuer, token, SESSION_ABSOLUTE_MS / 1000),
  };
}

export const authRoutes = new Hono<AppEnv>();

authRoutes.post("/auth/login", validate("json", loginSchema), async (c) => {
  assertNotCrossSite(c);
  const { email, password } = c.req.valid("json");
  const { user, token } = await signIn(ctxOf(c), email, password, facts(c), ctxOf(c).clock());
  return c.json({ user: userView(user) }, 200, withCookie(c, token));
});

authRoutes.post("/auth/logout", async (c) => {
  const ctx = ctxOf(c);
  const nowMs = ctx.clock();
  const person = await personFromSession(c, nowMs);
  if (person?.session) {
    assertSameOrigin(c);
    await signOut(ctx, person.session, person.user, facts(c), nowMs);
  }
  return c.body(null, 204, { ...NO_STORE_HEADERS, "Set-Cookie": sessionCookie(ctx.config.issuer, "", 0) });
});

authRoutes.post("/auth/setup-owner", validate("json", setupOwnerSchema), async (c) => {
  assertNotCrossSite(c);
  const { token, ...person } = c.req.valid("json");
  const result = await setupOwner(ctxOf(c), token, person, facts(c), ctxOf(c).clock());
  return c.json({ user: userView(result.user) }, 201, withCookie(c, result.token));
});

authRoutes.post("/auth/invitation", validate("json", invitationLookupSchema), async (c) => {
  const found = await invitationSummary(ctxOf(c), c.req.valid("json").token, ctxOf(c).clock());
  const inv = found.invitation;
  return c.json(
    {
      email: inv.email,
      role: inv.role,
      expires_at: iso(inv.expiresAt),
      tenant: { id: inv.tenantId, name: found.tenantName },
      account: found.existingAccount ? "existing" : "new",
    },
    200,
    NO_STORE_HEADERS,
  );
});

// The lookup used to be a GET with ?token=; no other method takes the token, so it never lands in a URL.
authRoutes.all("/auth/invitation", () => {
  throw problems.methodNotAllowed("POST");
});

authRoutes.post("/auth/accept-invite", validate("json", acceptInviteSchema), async (c) => {
  assertNotCrossSite(c);
  const { token, ...person } = c.req.valid("json");
  const result = await acceptInvitation(ctxOf(c), token, person, facts(c), ctxOf(c).clock());
  return c.json({ user: userView(result.user) }, 201, withCookie(c, result.token));
});

authRoutes.post("/bootstrap/owner-link", bootstrapAuth(), async (c) => {
  const link = await createOwnerLink(ctxOf(c), facts(c), ctxOf(c).clock());
  return c.json({ url: link.url, expires_at: iso(link.expiresAt) }, 201, NO_STORE_HEADERS);
});

/** GET /me: who the caller is, in any of the three ways one can be authenticated. */
export const meRoutes = new Hono<AppEnv>();

meRoutes.get("/me", (c) => {
  const p = c.var.principal;
  const scopes = [...p.scopes].sort();
  const tenant = { id: p.tenantId, issuer: issuerFor(ctxOf(c).config, p.tenantId) };
  if (p.kind === "credential") {
    return c.json(
      {
        user: null,
        credential: { client_id: p.clientId, name: p.actor },
        session: null,
        scopes,
        auth: "bearer",
        tenant,
      },
      200,
      NO_STORE_HEADERS,
    );
  }
  const session = p.session ? { id: p.session.id, expires_at: iso(sessionExpiry(p.session)) } : null;
  return c.json({ user: userView(p.user), session, scopes, auth: p.auth, tenant }, 200, NO_STORE_HEADERS);
});
