/**
 * The "none" method (RFC 8414 section 2; RFC 6749 section 2.1): a public client, which holds no secret,
 * presents only its client_id, and only public grants (the device grant, its refresh) accept it. The id must
 * be one of Latchkey's fixed public clients (domain/device-rules.ts); anything else, including a public
 * client that also sends a secret, is the same invalid_client as every other failure.
 */
import { PUBLIC_CLIENTS } from "../../domain/device-rules";
import type { PresentedCredentials } from "./presented";
import { failure } from "./standing";

/** The public client's id, or throws invalid_client. */
export function publicClientOf(presented: PresentedCredentials): string {
  if (presented.method !== "none") throw failure(`${presented.method} sent to a public grant`, presented);
  if (!PUBLIC_CLIENTS.has(presented.clientId)) throw failure("client_id is not a public client", presented);
  return presented.clientId;
}
