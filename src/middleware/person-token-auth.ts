/**
 * A person's access token at the admin API (issued to a tool by the device grant or a refresh): its device
 * session and the person are re-read from the D1 primary on every call, like a credential's, so ending the
 * session (console, logout, refresh reuse) or removing the person refuses the token on its next use, and a
 * role change applies at once: the scopes are the token's, as far as the person's current role still grants.
 */
import type { RequestContext } from "../context";
import { userActor } from "../domain/actors";
import { problems } from "../domain/errors";
import type { PersonTokenClaims } from "../domain/person-token-claims";
import type { PersonPrincipal } from "../domain/principals";
import { scopesOfRole } from "../domain/roles";
import { liveDeviceSession } from "../services/device-sessions";

/** The person behind a verified person token, or 401 once its session has ended. */
export async function personFromToken(
  ctx: Pick<RequestContext, "db">,
  claims: PersonTokenClaims,
  nowMs: number,
): Promise<PersonPrincipal> {
  const found = await liveDeviceSession(ctx, claims.tenant, claims.sid, nowMs);
  if (!found || found.user.id !== claims.sub || found.session.clientId !== claims.client_id)
    throw problems.unauthorized();
  const role = new Set(scopesOfRole(found.user.role));
  return {
    kind: "person",
    tenantId: found.user.tenantId,
    actor: userActor(found.user.email),
    user: found.user,
    auth: "token",
    session: null,
    deviceSessionId: found.session.id,
    scopes: new Set(claims.scope.split(" ").filter((s) => role.has(s))),
  };
}
