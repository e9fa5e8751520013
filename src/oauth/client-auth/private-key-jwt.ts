/**
 * private_key_jwt (RFC 7523 sections 2.2 and 3, RFC 10070). The assertion's `iss` names the client (a body
 * client_id must agree), its `kid` (when present) one of the credential's keys, whose stored alg is the only
 * one accepted. An unknown client or kid is verified against a decoy key, so both cost what a real key does.
 * The jti goes to the client's replay guard last, once everything else (the signature first) holds: the call
 * is started here and returned as the client's pendingJtiCheck, so the token endpoint overlaps the round trip
 * with signing the token, and releases nothing before it has confirmed the jti fresh.
 */
import { peekAssertion, verifyClientAssertion } from "../../crypto/client-assertion";
import { isClientIdShape } from "../../crypto/secrets";
import { isLive } from "../../domain/credential-rules";
import { issuerFor } from "../../domain/realms";
import { loadClient } from "../../services/client-lookup";
import { acceptAssertionOnce } from "../../services/replay-guard";
import { ASSERTION_CLOCK_SKEW_SECONDS } from "../../tunables";
import type { PresentedCredentials } from "./presented";
import { assertInGoodStanding, failure } from "./standing";
import type { AuthenticatedClient, ClientAuthDeps, ClientAuthMethod } from "./types";

async function authenticateWithKey(
  deps: ClientAuthDeps,
  presented: Extract<PresentedCredentials, { assertion: string }>,
  nowMs: number,
): Promise<AuthenticatedClient> {
  const hints = peekAssertion(presented.assertion);
  const clientId = hints?.iss;
  if (!hints || !clientId || !isClientIdShape(clientId))
    throw failure("assertion unreadable or iss not a client id", presented);
  if (presented.clientId !== undefined && presented.clientId !== clientId)
    throw failure("client_id differs from assertion iss", presented);
  const client = await loadClient(deps, clientId, nowMs);
  const { found } = client;
  // RFC 7523 does not require a kid: without one, each live key of the assertion's algorithm is tried.
  const candidates =
    found?.keys.filter(
      (k) => k.alg === hints.alg && (hints.kid === undefined ? isLive(k, nowMs) : k.thumbprint === hints.kid),
    ) ?? [];
  // RFC 10070: the issuer the request addressed (its realm) is the assertion's sole audience.
  const expectations = { clientId, issuer: issuerFor(deps.config, deps.realm), nowMs };
  // An unknown client or kid is verified against a decoy (null), so it costs what a real key does.
  let verdict: Awaited<ReturnType<typeof verifyClientAssertion>> = { ok: false, reason: "no candidate key" };
  let key: (typeof candidates)[number] | null = null;
  for (const candidate of candidates.length > 0 ? candidates : [null]) {
    verdict = await verifyClientAssertion(presented.assertion, candidate, expectations);
    if (verdict.ok) {
      key = candidate;
      break;
    }
  }
  if (!verdict.ok) throw failure(verdict.reason, presented);
  if (!found || !key) throw failure("unknown client or kid", presented);
  if (!isLive(key, nowMs)) throw failure("key retired or expired", presented);
  assertInGoodStanding({ ...client, found }, key.id, nowMs, presented);
  const keepUntil = verdict.expMs + ASSERTION_CLOCK_SKEW_SECONDS * 1000;
  const pendingJtiCheck = acceptAssertionOnce(deps, clientId, verdict.jti, keepUntil).then(
    (fresh) => (fresh ? undefined : failure("assertion jti replayed", presented)),
    (err: unknown) => err,
  );
  return {
    credential: found.credential,
    authenticatorId: key.id,
    authenticatorKind: "key",
    method: presented.method,
    pendingJtiCheck,
  };
}

/** RFC 7523 section 2.2: a JWT signed with a key the client registered, as client_assertion. */
export const privateKeyJwt: ClientAuthMethod<"private_key_jwt"> = {
  name: "private_key_jwt",
  authenticate: authenticateWithKey,
};
