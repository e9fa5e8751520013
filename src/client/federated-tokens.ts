/**
 * Getting a workload's own OIDC token to exchange (RFC 8693) where the platform hands it out over HTTP:
 * GitHub Actions' runner endpoint, for a job with `permissions: id-token: write`. Runtime-neutral (fetch
 * only); reading a token file (GitLab `id_tokens`, Kubernetes projected tokens) is the caller's, e.g. the CLI.
 */
import type { FetchLike } from "./discovery.js";
import { LatchkeyError } from "./errors.js";
import { requireSecureUrl } from "./secure-url.js";

/** Options of {@link githubActionsIdToken}. */
export interface GithubActionsTokenOptions {
  /** The `aud` to ask for: the federated identity's audience (by default the Latchkey issuer URL). */
  audience: string;
  /** `ACTIONS_ID_TOKEN_REQUEST_URL` and `ACTIONS_ID_TOKEN_REQUEST_TOKEN`; default: `process.env` where there is one. */
  env?: Record<string, string | undefined>;
  fetch?: FetchLike;
}

/**
 * Requests the job's OIDC token from the GitHub Actions runner.
 * @throws LatchkeyError `not_in_github_actions` when the request variables are missing (no `id-token: write`),
 *   `network_error`, or `invalid_response`.
 */
export async function githubActionsIdToken(options: GithubActionsTokenOptions): Promise<string> {
  const env =
    options.env ?? (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
  const requestUrl = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!requestUrl || !requestToken) {
    throw new LatchkeyError(
      "not_in_github_actions",
      "ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set: give the job `permissions: id-token: write`",
    );
  }
  requireSecureUrl(requestUrl, "ACTIONS_ID_TOKEN_REQUEST_URL");
  const url = new URL(requestUrl);
  url.searchParams.set("audience", options.audience);
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url.toString(), {
      headers: { authorization: `bearer ${requestToken}`, accept: "application/json" },
    });
  } catch (cause) {
    throw new LatchkeyError("network_error", "Could not reach the GitHub Actions token endpoint", { cause });
  }
  const body = (await response.json().catch(() => null)) as { value?: unknown } | null;
  if (!response.ok || typeof body?.value !== "string") {
    throw new LatchkeyError("invalid_response", `GitHub Actions token endpoint answered HTTP ${response.status}`, {
      status: response.status,
    });
  }
  return body.value;
}
