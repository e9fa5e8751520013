/**
 * The console's only door to the server: same-origin JSON fetches with the session cookie. Errors come back
 * as RFC 9457 problem+json and are thrown as ApiError; a 401 on a signed-in call means the session ended,
 * and the app listens for that to send the person to the sign-in page.
 */

/**
 * A failed API call: HTTP status, the problem body's `code`, `title`, `detail`, its field `errors`
 * (`[{path, message}]` of a 400 invalid_request, else []), and Retry-After seconds.
 */
export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super(problem?.detail || problem?.title || `Request failed (${status})`);
    this.status = status;
    this.code = problem?.code ?? null;
    this.title = problem?.title ?? null;
    this.detail = problem?.detail ?? null;
    this.errors = Array.isArray(problem?.errors) ? problem.errors : [];
    this.retryAfter = retryAfter;
  }
}

const sessionEnded = new EventTarget();

/** Subscribes to "the server no longer accepts our session". */
export function onSessionEnded(listener) {
  sessionEnded.addEventListener("ended", listener);
}

/**
 * Calls /api/v1<path>. `quiet401` stops the session-ended signal (for /me and the sign-in forms).
 * Returns the parsed JSON body, or null for 204.
 */
export async function api(method, path, body, { quiet401 = false, signal } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
      signal,
    });
  } catch (err) {
    if (err?.name === "AbortError") throw err;
    throw new ApiError(0, {
      title: "Network error",
      detail: "The server could not be reached. Check your connection and try again.",
    });
  }
  if (res.status === 204) return null;
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    const retry = Number.parseInt(res.headers.get("Retry-After") ?? "", 10);
    const error = new ApiError(res.status, data, Number.isFinite(retry) ? retry : null);
    if (res.status === 401 && !quiet401) sessionEnded.dispatchEvent(new Event("ended"));
    throw error;
  }
  return data;
}

export const get = (path, opts) => api("GET", path, undefined, opts);
export const post = (path, body = {}, opts) => api("POST", path, body, opts);
export const patch = (path, body, opts) => api("PATCH", path, body, opts);
export const del = (path, opts) => api("DELETE", path, undefined, opts);

/** Builds a query string from the defined, non-empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}
