/** Wire shapes of federated identities: snake_case fields and ISO 8601 times. */
import type { FederatedIdentityRow } from "../../storage/schema";
import { iso } from "./views";

/** One federated identity as the admin API shows it. */
export function federatedIdentityView(f: FederatedIdentityRow) {
  return {
    id: f.id,
    preset: f.preset,
    issuer: f.issuer,
    audience: f.audience,
    subject: f.subject,
    claims: f.claims,
    max_token_lifetime: f.maxTokenLifetime,
    created_at: iso(f.createdAt),
    created_by: f.createdBy,
    last_used_at: iso(f.lastUsedAt),
    last_subject: f.lastSubject,
  };
}
