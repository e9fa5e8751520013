/**
 * The device grant (RFC 8628 section 3.4), for the public `latchkey` CLI: the client polls with its device
 * code and gets authorization_pending, slow_down, access_denied or expired_token until the person has
 * approved; then, once only, a person's access token and the first refresh token of a new device session.
 * The state machine is services/device-sessions.ts.
 */
import { DEVICE_CODE_GRANT_TYPE } from "../../domain/device-rules";
import { OAUTH_DESCRIPTIONS as D, OAuthError } from "../../domain/errors";
import { redeemDeviceCode } from "../../services/device-sessions";
import { issuePersonTokens } from "../person-tokens";
import type { PublicGrant } from "./types";

export const deviceCode: PublicGrant = {
  grantType: DEVICE_CODE_GRANT_TYPE,
  parameters: ["device_code"],
  public: true,
  async handler(deps, clientId, params, request, nowMs) {
    const code = params.get("device_code");
    if (code === undefined) throw new OAuthError("invalid_request", D.missingDeviceCode);
    const granted = await redeemDeviceCode(deps, clientId, code, request.ip, nowMs);
    return issuePersonTokens(deps, granted, nowMs);
  },
};
