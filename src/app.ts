/**
 * The hono app: public OAuth and metadata routes, the admin API behind bearer authentication, and the one
 * error handler. Paths served here must also be listed in wrangler.toml's run_worker_first. The OAuth routes
 * (`oauth`) are mounted twice: at the root for the default tenant, and under `/t/{tenant}` for every tenant's
 * own issuer (docs/realms.md); a route added to `oauth` is served under both with no other line.
 */
import { factory } from "./context";
import { adminAuth } from "./middleware/admin-auth";
import { jsonBodyLimit } from "./middleware/body-limit";
import { problemResponse, renderError } from "./middleware/error-handler";
import { problems } from "./domain/errors";
import { auditRoutes } from "./routes/admin/audit";
import { deviceApprovalRoutes } from "./routes/admin/device";
import { invitationRoutes } from "./routes/admin/invitations";
import { memberRoutes } from "./routes/admin/members";
import { sessionRoutes } from "./routes/admin/sessions";
import { signingKeyRoutes } from "./routes/admin/signing-keys";
import { authRoutes, meRoutes } from "./routes/auth";
import { credentialRoutes } from "./routes/admin/credentials";
import { federatedIdentityRoutes } from "./routes/admin/federated-identities";
import { openApiRoutes } from "./routes/admin/openapi";
import { resourceRoutes } from "./routes/admin/resources";
import { bootstrapRoutes } from "./routes/bootstrap";
import { healthRoutes } from "./routes/health";
import { setupRoutes } from "./routes/setup";
import { deviceRoutes } from "./routes/device";
import { tokenRoutes } from "./routes/token";
import { webhookRoutes } from "./routes/admin/webhooks";
import { alertSettingsRoutes } from "./routes/admin/alert-settings";
import { secretScanningRoutes } from "./routes/secret-scanning";
import { introspectionRoutes } from "./routes/introspection";
import { revocationFeedRoutes } from "./routes/revocation-feed";
import { credentialTokenRoutes } from "./routes/admin/credential-tokens";
import { tenantRoutes } from "./routes/tenants";
import { myTenantRoutes } from "./routes/admin/my-tenants";
import { realmMetadataRoutes, wellKnownRoutes } from "./routes/well-known";
import { resolveRealm } from "./middleware/realm";

const admin = factory.createApp();
admin.use("*", adminAuth());
admin.route("/resources", resourceRoutes);
admin.route("/credentials", credentialRoutes);
admin.route("/credentials", credentialTokenRoutes);
admin.route("/audit", auditRoutes);
admin.route("/", meRoutes);
admin.route("/members", memberRoutes);
admin.route("/invitations", invitationRoutes);
admin.route("/sessions", sessionRoutes);
admin.route("/signing-keys", signingKeyRoutes);
admin.route("/credentials", federatedIdentityRoutes);
admin.route("/webhooks", webhookRoutes);
admin.route("/alert-settings", alertSettingsRoutes);
admin.route("/device", deviceApprovalRoutes);
admin.route("/me", myTenantRoutes);

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

export const app = factory.createApp();
// Before every route under /api: no JSON body is parsed before its size is known to be within the cap.
app.use("/api/*", jsonBodyLimit());
app.route("/", healthRoutes);
app.route("/", oauth);
app.route("/t/:tenant", realm);
app.route("/", realmMetadataRoutes);
app.route("/", openApiRoutes);
app.route("/", bootstrapRoutes);
app.route("/", tenantRoutes);
app.route("/", secretScanningRoutes);
// Before the admin group: these routes answer without its authentication.
app.route("/api/v1", authRoutes);
app.route("/api/v1", admin);
app.notFound(() => problemResponse(problems.notFound("endpoint")));
app.onError(renderError);
