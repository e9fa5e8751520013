/**
 * The wire assertions for Latchkey's two error shapes, shared by every workerd test: an OAuth error
 * (RFC 6749 section 5.2: JSON, no-store, exactly {error, error_description} with a fixed description) and
 * an RFC 9457 problem (problem+json, no-store, type/title/status/code). One module so that every test
 * asserts the whole shape the same way and a change to the contract is made once (docs/standards.md).
 */
import { expect } from "vitest";
import { OAUTH_DESCRIPTIONS } from "../../src/domain/errors";

export type Json = Record<string, any>;

/** RFC 6749 section 5.2: the challenge a 401 carries when the client authenticated with HTTP Basic. */
export const BASIC_CHALLENGE = 'Basic realm="latchkey", charset="UTF-8"';
/** RFC 6750 section 3: the challenge every 401 problem carries. */
export const BEARER_CHALLENGE = 'Bearer realm="latchkey"';
export const PROBLEM_BASE = "https://latchkey.dev/problems/";

const FIXED_DESCRIPTIONS: readonly string[] = Object.values(OAUTH_DESCRIPTIONS);

export interface OAuthErrorExpectations {
  /** The client used HTTP Basic, so a 401 carries WWW-Authenticate; otherwise the header must be absent. */
  basicChallenge?: boolean;
  /** The exact Retry-After in seconds; without it a 429 must carry a positive one and others none. */
  retryAfter?: number;
  /** The exact error_description; without it, any of the fixed descriptions. */
  description?: string;
  /** Text that must not appear anywhere in the body (an echo check). */
  forbid?: string;
  /** Prefixes assertion messages, to say which case of a loop failed. */
  why?: string;
}

/** Asserts an RFC 6749 section 5.2 error response in full and returns its body. */
export async function expectOAuthError(
  res: Response,
  status: number,
  error: string,
  opts: OAuthErrorExpectations = {},
): Promise<Json> {
  const text = await res.text();
  const why = opts.why ? `${opts.why}: ` : "";
  expect(res.status, `${why}${text}`).toBe(status);
  expect(res.headers.get("content-type"), why).toBe("application/json");
  expect(res.headers.get("cache-control"), why).toBe("no-store");
  expect(res.headers.get("pragma"), why).toBe("no-cache");
  const body = JSON.parse(text) as Json;
  expect(Object.keys(body).sort(), why).toEqual(["error", "error_description"]);
  expect(body.error, why).toBe(error);
  expect(body.error_description, why).toMatch(/^[ -~]+$/);
  expect(body.error_description, why).toMatch(/^[^"\\]+$/);
  if (opts.description !== undefined) expect(body.error_description, why).toBe(opts.description);
  else
    expect(FIXED_DESCRIPTIONS, `${why}not a fixed description: ${body.error_description}`).toContain(
      body.error_description,
    );
  if (opts.forbid !== undefined) expect(text, why).not.toContain(opts.forbid);
  expect(res.headers.get("www-authenticate"), why).toBe(opts.basicChallenge && status === 401 ? BASIC_CHALLENGE : null);
  expectRetryAfter(res, status, opts.retryAfter, why);
  return body;
}

/** The one body every failed client authentication ends in (RFC 6749 section 5.2, docs/standards.md). */
export function expectInvalidClient(
  res: Response,
  opts: Omit<OAuthErrorExpectations, "description"> = {},
): Promise<Json> {
  return expectOAuthError(res, 401, "invalid_client", { ...opts, description: OAUTH_DESCRIPTIONS.invalidClient });
}

export interface ProblemExpectations {
  /** Members the body must contain (matched with toMatchObject, so asymmetric matchers work). */
  fields?: Json;
  /** The whole body, compared with toEqual (type, title, status and code included). */
  body?: Json;
  /** The exact Retry-After in seconds; without it a 429 must carry a positive one and others none. */
  retryAfter?: number;
  /** Text that must not appear anywhere in the body (an echo check). */
  forbid?: string;
  why?: string;
}

/**
 * Asserts an RFC 9457 problem response: status, problem+json, no-store, the type URL derived from the
 * code, a title, a small body, a Bearer challenge on every 401; returns the body.
 */
export async function expectProblem(
  res: Response,
  status: number,
  code: string,
  opts: ProblemExpectations = {},
): Promise<Json> {
  const text = await res.text();
  const why = opts.why ? `${opts.why}: ` : "";
  expect(res.status, `${why}${text.slice(0, 500)}`).toBe(status);
  expect(res.headers.get("content-type"), why).toBe("application/problem+json");
  expect(res.headers.get("cache-control"), why).toBe("no-store");
  expect(text.length, why).toBeLessThan(4096);
  const body = JSON.parse(text) as Json;
  expect(body, why).toMatchObject({ type: `${PROBLEM_BASE}${code}`, title: expect.any(String), status, code });
  if (opts.fields) expect(body, why).toMatchObject(opts.fields);
  if (opts.body) expect(body, why).toEqual(opts.body);
  if (opts.forbid !== undefined) expect(text, why).not.toContain(opts.forbid);
  if (status === 401) expect(res.headers.get("www-authenticate"), why).toBe(BEARER_CHALLENGE);
  expectRetryAfter(
    res,
    status,
    opts.retryAfter ?? (typeof body.retry_after === "number" ? body.retry_after : undefined),
    why,
  );
  return body;
}

function expectRetryAfter(res: Response, status: number, seconds: number | undefined, why: string): void {
  const header = res.headers.get("retry-after");
  if (seconds !== undefined) expect(header, why).toBe(String(seconds));
  else if (status === 429) expect(Number(header), `${why}Retry-After ${header}`).toBeGreaterThan(0);
  else expect(header, why).toBeNull();
}
