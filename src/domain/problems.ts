/**
 * The admin API's error shape (RFC 9457 problem+json) and its catalog: every `code` Latchkey can answer,
 * with the status and title it always carries, so a code means one thing everywhere and the OpenAPI document
 * lists them all. Structured extras are typed options with fixed wire names, never a loose record, and the
 * response renderer reads the same options for the Retry-After and Allow headers.
 */

/** Every problem code, with its status and title. */
export const PROBLEM_CATALOG = {
  invalid_request: { status: 400, title: "Invalid request" },
  invalid_invitation: { status: 400, title: "Invalid invitation" },
  invalid_setup_token: { status: 400, title: "Invalid link" },
  invalid_setup_code: { status: 400, title: "Invalid setup code" },
  setup_mode_mismatch: { status: 400, title: "Wrong setup mode" },
  unauthorized: { status: 401, title: "Authentication required" },
  invalid_credentials: { status: 401, title: "Invalid credentials" },
  invalid_dpop_proof: { status: 401, title: "Invalid DPoP proof" },
  dpop_bound_token: { status: 401, title: "DPoP-bound token" },
  invalid_signature: { status: 401, title: "Invalid signature" },
  forbidden: { status: 403, title: "Forbidden" },
  csrf: { status: 403, title: "Cross-site request refused" },
  not_found: { status: 404, title: "Not found" },
  method_not_allowed: { status: 405, title: "Method not allowed" },
  conflict: { status: 409, title: "Conflict" },
  owner_exists: { status: 409, title: "Owner exists" },
  last_owner: { status: 409, title: "Last owner" },
  email_taken: { status: 409, title: "Email in use" },
  already_member: { status: 409, title: "Already a member" },
  account_exists: { status: 409, title: "Account exists" },
  tenant_exists: { status: 409, title: "Tenant exists" },
  payload_too_large: { status: 413, title: "Payload too large" },
  unsupported_media_type: { status: 415, title: "Unsupported media type" },
  rate_limited: { status: 429, title: "Too many requests" },
  server_error: { status: 500, title: "Internal error" },
  temporarily_unavailable: { status: 503, title: "Service unavailable" },
  invalid_user_code: { status: 400, title: "Invalid code" },
  network_not_allowed: { status: 403, title: "Network not allowed" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof PROBLEM_CATALOG;

/** One field of a validation failure: its path and zod's fixed message, never the rejected value. */
export interface ValidationIssue {
  path: string;
  message: string;
}

/** What a problem may carry besides its code and detail. Each option has one wire name (PROBLEM_FIELDS). */
export interface ProblemOptions {
  /** `retry_after` in the body and the Retry-After header. */
  retryAfterSeconds?: number;
  /** `allow` in the body and the Allow header (405). */
  allow?: string;
  /** `missing_scopes`: the management scopes the caller lacks (403 forbidden). */
  missingScopes?: readonly string[];
  /** `max_bytes`: the body limit that was exceeded (413). */
  maxBytes?: number;
  /** `expected_mode`: the mode a setup code was issued for (setup_mode_mismatch). */
  expectedMode?: "key" | "secret";
  /** `errors`: the fields that failed validation (invalid_request). */
  errors?: readonly ValidationIssue[];
  /** Overrides the catalogued status: only for hono's own request errors, which bring theirs. */
  status?: number;
}

type ExtraOption = Exclude<keyof ProblemOptions, "status">;

/** The wire name of each option, in the order they appear in a body. */
export const PROBLEM_FIELDS = {
  retryAfterSeconds: "retry_after",
  allow: "allow",
  missingScopes: "missing_scopes",
  maxBytes: "max_bytes",
  expectedMode: "expected_mode",
  errors: "errors",
} as const satisfies Record<ExtraOption, string>;

const EXTRA_OPTIONS = Object.keys(PROBLEM_FIELDS) as ExtraOption[];

/** An admin API error, rendered as RFC 9457 problem+json. `code` is a stable machine-readable name. */
export class ProblemError extends Error {
  readonly status: number;
  readonly title: string;
  /** The options under their wire names, as they appear in the body; undefined when there are none. */
  readonly extra?: Readonly<Record<string, unknown>>;

  constructor(
    readonly code: ProblemCode,
    readonly detail?: string,
    readonly options: ProblemOptions = {},
  ) {
    const entry = PROBLEM_CATALOG[code];
    super(`${options.status ?? entry.status} ${code}: ${detail ?? entry.title}`);
    this.status = options.status ?? entry.status;
    this.title = entry.title;
    const present = EXTRA_OPTIONS.filter((option) => options[option] !== undefined);
    this.extra =
      present.length > 0 ? Object.fromEntries(present.map((o) => [PROBLEM_FIELDS[o], options[o]])) : undefined;
  }
}

/** Builders for the problems raised in many places; single-use ones are built with their code where they arise. */
export const problems = {
  badRequest: (detail: string, options?: Pick<ProblemOptions, "errors">) =>
    new ProblemError("invalid_request", detail, options),
  unauthorized: () => new ProblemError("unauthorized", "Send a valid access token or sign in."),
  forbidden: (detail = "You are not allowed to do this.") => new ProblemError("forbidden", detail),
  notFound: (what: string) => new ProblemError("not_found", `No such ${what}.`),
  conflict: (detail: string) => new ProblemError("conflict", detail),
  methodNotAllowed: (allow: string) =>
    new ProblemError("method_not_allowed", "This endpoint does not accept this method.", { allow }),
  payloadTooLarge: (maxBytes: number) =>
    new ProblemError("payload_too_large", "The request body is too large.", { maxBytes }),
  rateLimited: (retryAfterSeconds: number) => new ProblemError("rate_limited", "Retry later.", { retryAfterSeconds }),
};
