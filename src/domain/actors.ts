/**
 * Attribution names: who did something, as the audit log, `created_by` columns and the `svc` token claim
 * record it. One builder per kind, so `svc:<label>` and `user:<email>` are spelled in one place; a name is
 * display text, never an authorization input.
 */

/** Any attribution name Latchkey writes. */
export type ActorName = `svc:${string}` | `user:${string}` | `system:${string}` | "anonymous";

/** A credential, by its label: the `svc` claim of its tokens and the actor of what it does. */
export function serviceActor(label: string): `svc:${string}` {
  return `svc:${label}`;
}

/** A person, by their email. */
export function userActor(email: string): `user:${string}` {
  return `user:${email}`;
}

/** Latchkey itself, acting on an operator's behalf. */
export const SYSTEM_ACTORS = {
  /** The operator holding BOOTSTRAP_TOKEN. */
  bootstrap: "system:bootstrap",
  /** The one-time owner link: the creator of the first owner. */
  ownerLink: "system:owner-link",
  /** A leaked-secret report from a scanning partner (GitHub secret scanning). */
  secretScanning: "system:secret-scanning",
  /** The guardrails: allow-list and quota alerts (services/guardrail-alerts.ts). */
  guardrails: "system:guardrails",
  /** Self-service sign-up (SIGNUP_ENABLED): the creator of the tenant and its first owner's membership. */
  signup: "system:signup",
} as const satisfies Record<string, `system:${string}`>;

/** Nobody authenticated: a replayed setup code. */
export const ANONYMOUS_ACTOR = "anonymous";
