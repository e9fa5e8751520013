/**
 * The refresh_token grant (RFC 6749 section 6) for device sessions: every use spends the token and returns
 * a successor with a fresh access token; a spent token presented again ends the whole session (RFC 9700
 * section 4.14). Scopes are always the person's current role's, so a `scope` parameter is not read.
 */
import { OAUTH_DESCRIPTIONS as D, OAuthError } from "../../domain/errors";
import { rotateRefresh } from "../../services/device-sessions";
import { issuePersonTokens } from "../person-tokens";
import type { PublicGrant } from "./types";

export const refreshToken: PublicGrant = {
  grantType: "refresh_token",
  parameters: ["refresh_token"],
  public: true,
  async handler(deps, clientId, params, request, nowMs) {
    const token = params.get("refresh_token");
    if (token === undefined) throw new OAuthError("invalid_request", D.missingRefreshToken);
    const granted = await rotateRefresh(deps, clientId, token, request.ip, nowMs);
    return issuePersonTokens(deps, granted, nowMs);
  },
};
