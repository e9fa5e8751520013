/**
 * Who calls the admin API: a machine with a management access token, or a signed-in person. Both carry
 * management scopes, so one scope check (and one authority rule, domain/authority.ts) serves them alike.
 */
import type { SessionRow, UserRow } from "../storage/schema-console";

/** A machine calling with a management access token. */
export interface CredentialPrincipal {
  tenantId: string;
  /** The attribution name recorded in the audit log: `svc:<label>` for credentials. */
  actor: string;
  kind: "credential";
  clientId: string;
  scopes: ReadonlySet<string>;
}

/** A signed-in person. */
export interface PersonPrincipal {
  kind: "person";
  tenantId: string;
  /** `user:<email>` in the audit log. */
  actor: string;
  user: UserRow;
  /** "token": a person's access token from a tool they signed in with the device grant. */
  auth: "session" | "access" | "token";
  /** The console session; null when Cloudflare Access or a person's access token authenticated the request. */
  session: SessionRow | null;
  /** The device session of a person's access token (auth "token"). */
  deviceSessionId?: string;
  scopes: ReadonlySet<string>;
}

/** Who is calling the admin API, and what they may do. */
export type Principal = CredentialPrincipal | PersonPrincipal;
