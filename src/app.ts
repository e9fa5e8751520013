/**
 * The hono app: public OAuth and metadata routes, the management API under /api, and the one error handler.
 * Paths served here must also be listed in wrangler.toml's run_worker_first. The OAuth routes (`oauth`) are
 * mounted twice: at the root for the default tenant, and under `/t/{tenant}` for every tenant's own issuer
 * (docs/realms.md); a route added to `oauth` is served under both with no other line. The management API
 * (routes/api.ts) is a separate app behind one route: hono builds a router's matcher on its first request, so a
 * cold isolate's first request builds only these few routes' matcher, and the API's is built on the first /api
 * request (docs/performance.md, cold start; a dynamic import measured slower and a larger bundle).
 */
import type { Context } from "hono";
import { type AppEnv, factory } from "./context";
import { problemResponse, renderError } from "./middleware/error-handler";
import { problems } from "./domain/errors";
import { healthRoutes } from "./routes/health";
import { setupRoutes } from "./routes/setup";
import { deviceRoutes } from "./routes/device";
import { tokenRoutes } from "./routes/token";
import { secretScanningRoutes } from "./routes/secret-scanning";
import { introspectionRoutes } from "./routes/introspection";
import { revocationFeedRoutes } from "./routes/revocation-feed";
import { realmMetadataRoutes, wellKnownRoutes } from "./routes/well-known";
import { resolveRealm } from "./middleware/realm";
import { apiApp } from "./routes/api";

/** The issuer-relative routes: served for the default tenant at "/" and for each tenant at "/t/:tenant". */
const oauth = factory.createApp();
oauth.route("/", tokenRoutes);
oauth.route("/", deviceRoutes);
oauth.route("/", wellKnownRoutes);
oauth.route("/", introspectionRoutes);
oauth.route("/", revocationFeedRoutes);
oauth.route("/", setupRoutes);

const realm = factory.createApp();
realm.use("*", resolveRealm());
realm.route("/", oauth);

/** The request's execution context, or undefined for a direct app.fetch without one. */
function executionOf(c: Context<AppEnv>): ExecutionContext | undefined {
  try {
    return c.executionCtx;
  } catch {
    return undefined;
  }
}

/** Hands a request under /api to the management API app, whose router is built on the first such request. */
function managementApi(c: Context<AppEnv>): Response | Promise<Response> {
  return apiApp.fetch(c.req.raw, c.env, executionOf(c));
}

export const app = factory.createApp();
app.route("/", healthRoutes);
app.route("/", oauth);
app.route("/t/:tenant", realm);
app.route("/", realmMetadataRoutes);
app.route("/", secretScanningRoutes);
app.all("/api", managementApi);
app.all("/api/*", managementApi);
app.notFound(() => problemResponse(problems.notFound("endpoint")));
app.onError(renderError);
