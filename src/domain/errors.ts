/**
 * The two error shapes Latchkey puts on the wire, under one import: OAuthError for the OAuth endpoints
 * (RFC 6749 section 5.2, oauth-errors.ts) and ProblemError for the admin API (RFC 9457, problems.ts).
 * Callers import from here; each catalog lives in its own module.
 */
export * from "./oauth-errors";
export * from "./problems";
