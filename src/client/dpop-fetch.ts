/**
 * The token source's `fetch`: one request to a resource server with `Authorization: <token_type> <token>`
 * and, for a DPoP-bound token, a fresh proof carrying `ath` and the origin's latest nonce. A resource server's
 * 401 `use_dpop_nonce` is retried once with the nonce it sent (RFC 9449 section 9); nonces are remembered per
 * origin. A request body must be replayable (a string, bytes, a form) for that one retry.
 */
import type { FetchLike } from "./discovery.js";
import { createDpopProof, requestedNonce, type DpopKey } from "./dpop.js";
import type { AccessToken } from "./token-request.js";

/** What the authorised fetch needs from its token source. */
export interface AuthorizedFetchDeps {
  getToken(): Promise<AccessToken>;
  dpopKey(): Promise<DpopKey | undefined>;
  fetch?: FetchLike;
  /** The latest nonce per origin, shared with the token requests. */
  nonces: Map<string, string>;
}

/** A fetch that authorises every request with the source's token (and proof). */
export function authorizedFetch(deps: AuthorizedFetchDeps) {
  return async function latchkeyFetch(input: string | URL, init: RequestInit = {}): Promise<Response> {
    const url = String(input);
    const origin = new URL(url).origin;
    const method = (init.method ?? "GET").toUpperCase();
    const token = await deps.getToken();
    const key = token.tokenType === "DPoP" ? await deps.dpopKey() : undefined;
    const send = async (nonce: string | undefined): Promise<Response> => {
      const headers = new Headers(init.headers);
      headers.set("authorization", `${key ? "DPoP" : "Bearer"} ${token.accessToken}`);
      if (key) {
        const request = { method, url, accessToken: token.accessToken };
        headers.set("dpop", await createDpopProof(key, nonce === undefined ? request : { ...request, nonce }));
      }
      return (deps.fetch ?? fetch)(url, { ...init, method, headers });
    };
    let response = await send(deps.nonces.get(origin));
    const asked = key ? await requestedNonce(response) : undefined;
    if (asked !== undefined) {
      deps.nonces.set(origin, asked);
      response = await send(asked);
    }
    const latest = response.headers.get("dpop-nonce");
    if (key && latest) deps.nonces.set(origin, latest);
    return response;
  };
}
