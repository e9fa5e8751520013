/**
 * Latchkey's own API as a resource: its URI (the audience of management tokens), the scopes it defines
 * (the powers over Latchkey; see authority.ts) and the tenant a fresh deployment starts with. Pure facts,
 * so the authority rule, token claims and the admin middleware share one definition.
 */
import type { ScopeDefinition } from "./grants";

/** The URI of Latchkey's own admin API, the audience of management tokens. */
export const MANAGEMENT_RESOURCE = "urn:latchkey:management";
/** The tenant bootstrap and the first owner are created in. */
export const DEFAULT_TENANT_ID = "default";

/** The scopes of the management resource, as every tenant's built-in resource row defines them. */
export const MANAGEMENT_SCOPES: ScopeDefinition[] = [
  { name: "credentials:read", description: "List and read credentials", write: false },
  { name: "credentials:write", description: "Create, change, rotate and revoke credentials", write: true },
  { name: "resources:read", description: "List resources and their scopes", write: false },
  { name: "resources:write", description: "Define resources and their scopes", write: true },
  { name: "audit:read", description: "Read the audit log", write: false },
  { name: "webhooks:read", description: "List webhook endpoints and their deliveries", write: false },
  {
    name: "webhooks:write",
    description: "Create, change and delete webhook endpoints and alert settings",
    write: true,
  },
  { name: "tokens:introspect", description: "Introspect access tokens of this tenant (RFC 7662)", write: false },
];

/** The management scope a caller of POST /oauth/introspect must hold. */
export const INTROSPECT_SCOPE = "tokens:introspect";
