/**
 * The management API under /api (admin routes behind bearer authentication, sign-in, bootstrap, tenants, the
 * OpenAPI document) as its own hono app with its own router. app.ts hands it every /api request, so the
 * matcher of these routes is built on the first /api request, never on a cold isolate's first token request:
 * building one matcher over every route was most of what that first request paid.
 */
import { factory } from "../context";
import { problems } from "../domain/errors";
import { adminAuth } from "../middleware/admin-auth";
import { jsonBodyLimit } from "../middleware/body-limit";
import { problemResponse, renderError } from "../middleware/error-handler";
import { alertSettingsRoutes } from "./admin/alert-settings";
import { auditRoutes } from "./admin/audit";
import { credentialTokenRoutes } from "./admin/credential-tokens";
import { credentialRoutes } from "./admin/credentials";
import { deviceApprovalRoutes } from "./admin/device";
import { federatedIdentityRoutes } from "./admin/federated-identities";
import { invitationRoutes } from "./admin/invitations";
import { memberRoutes } from "./admin/members";
import { myTenantRoutes } from "./admin/my-tenants";
import { openApiRoutes } from "./admin/openapi";
import { resourceRoutes } from "./admin/resources";
import { sessionRoutes } from "./admin/sessions";
import { signingKeyRoutes } from "./admin/signing-keys";
import { webhookRoutes } from "./admin/webhooks";
import { authRoutes, meRoutes } from "./auth";
import { bootstrapRoutes } from "./bootstrap";
import { tenantRoutes } from "./tenants";

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

/** Every route under /api, with the same not-found answer and error handler as the root app. */
export const apiApp = factory.createApp();
// Before every route under /api: no JSON body is parsed before its size is known to be within the cap.
apiApp.use("/api/*", jsonBodyLimit());
apiApp.route("/", openApiRoutes);
apiApp.route("/", bootstrapRoutes);
apiApp.route("/", tenantRoutes);
// Before the admin group: these routes answer without its authentication.
apiApp.route("/api/v1", authRoutes);
apiApp.route("/api/v1", admin);
apiApp.notFound(() => problemResponse(problems.notFound("endpoint")));
apiApp.onError(renderError);
