/** Wire shapes of the device grant: a pending sign-in as the approval page shows it, and a tool's session. */
import { PUBLIC_CLIENTS, toolSessionName } from "../../domain/device-rules";
import type { Role } from "../../domain/roles";
import { scopesOfRole } from "../../domain/roles";
import type { DeviceAuthorizationRow, DeviceSessionRow } from "../../storage/schema-console";
import { iso } from "./views";

/** A pending device sign-in: the tool, the host it reports, and what it will be able to do (the role's scopes). */
export function deviceAuthorizationView(row: DeviceAuthorizationRow, userCode: string, role: Role) {
  return {
    user_code: userCode,
    client_id: row.clientId,
    client_name: PUBLIC_CLIENTS.get(row.clientId)?.name ?? row.clientId,
    hostname: row.hostname,
    request_ip: row.requestIp,
    created_at: iso(row.createdAt),
    expires_at: iso(row.expiresAt),
    role,
    scopes: scopesOfRole(role),
  };
}

/** A tool's session in the session list, shaped like a console session (device, client, times). */
export function deviceSessionView(
  s: DeviceSessionRow,
  person: { email: string; name: string },
  currentId: string | null,
) {
  return {
    id: s.id,
    kind: "device",
    user_id: s.userId,
    user_email: person.email,
    user_name: person.name,
    device: toolSessionName(s.clientId, s.hostname),
    client: s.clientId,
    ip: s.ip,
    created_at: iso(s.createdAt),
    last_seen_at: iso(s.lastUsedAt),
    expires_at: iso(s.expiresAt),
    current: s.id === currentId,
  };
}
