/**
 * DPoP at a resource server (RFC 9449 sections 4.3 and 7): a token bound with `cnf.jkt` is accepted only with
 * `Authorization: DPoP` and a proof signed by the key the thumbprint names, for this method and URL, carrying
 * the token's `ath`, fresh (`iat`) and never seen before (`jti`, per key). A bound token presented as Bearer
 * and an unbound one presented as DPoP are both refused. The replay cache is in memory and bounded by default
 * (a full cache drops its oldest entries first, so size it above the proofs one window sees) and pluggable,
 * so a fleet of resource servers can share one.
 */
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify, type JWK } from "jose";
import { accessTokenHash, htuOf } from "./dpop.js";
import { TokenVerificationError } from "./errors.js";

/** Where accepted proof `jti`s are remembered; `remember` answers false for one seen before (a replay). */
export interface DpopReplayCache {
  remember(jkt: string, jti: string, untilMs: number): boolean | Promise<boolean>;
}

/** DPoP settings of a verifier. */
export interface DpopVerifierOptions {
  /** Default: an in-memory cache of at most 10,000 proofs. */
  replayCache?: DpopReplayCache;
  /** How old (s) a proof's iat may be. Default 60. */
  maxAgeSeconds?: number;
  /** How far (s) ahead a proof's iat may be. Default 10. */
  futureSkewSeconds?: number;
  /** Accepted proof algorithms. Default ES256, EdDSA. */
  algorithms?: readonly string[];
}

/** The DPoP side of one request: the `DPoP` header, the method and the full URL it was sent to. */
export interface DpopPresentation {
  proof: string | undefined;
  method: string;
  url: string;
}

/** A bounded in-memory replay cache (Map in insertion order, expired entries swept when full). */
export function createMemoryReplayCache(maxEntries = 10_000, now: () => number = Date.now): DpopReplayCache {
  const seen = new Map<string, number>();
  return {
    remember(jkt, jti, untilMs) {
      const id = `${jkt} ${jti}`;
      const at = now();
      const until = seen.get(id);
      if (until !== undefined && until > at) return false;
      if (seen.size >= maxEntries) for (const [k, u] of seen) if (u <= at) seen.delete(k);
      while (seen.size >= maxEntries) seen.delete(seen.keys().next().value as string);
      seen.set(id, untilMs);
      return true;
    },
  };
}

/** The message of the refusal of a DPoP-bound token presented as Bearer (RFC 9449 section 7.2). */
export const BOUND_AS_BEARER = "The access token is DPoP-bound: send it as Authorization: DPoP with a proof";

const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "k", "oth"];
const proofError = (message: string) => new TokenVerificationError("invalid_dpop_proof", message);

function checkHeader(proof: string, algorithms: readonly string[]): void {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw proofError("The DPoP proof is not a JWT");
  }
  if (header.typ !== "dpop+jwt") throw proofError("The DPoP proof's typ is not dpop+jwt");
  if (typeof header.alg !== "string" || !algorithms.includes(header.alg))
    throw proofError("The DPoP proof's alg is not accepted");
  const jwk = header.jwk as Record<string, unknown> | undefined;
  if (!jwk || typeof jwk !== "object") throw proofError("The DPoP proof has no jwk");
  if (PRIVATE_MEMBERS.some((m) => m in jwk)) throw proofError("The DPoP proof's jwk is not a public key");
}

async function checkClaims(
  payload: Record<string, unknown>,
  p: DpopPresentation,
  accessToken: string,
  o: Required<Omit<DpopVerifierOptions, "replayCache">>,
  nowMs: number,
): Promise<{ jti: string; iat: number }> {
  const { jti, htm, htu, iat, ath } = payload;
  if (typeof jti !== "string" || jti.length === 0 || jti.length > 256) throw proofError("The DPoP proof has no jti");
  if (htm !== p.method.toUpperCase()) throw proofError("The DPoP proof's htm does not match");
  let same = false;
  try {
    same = typeof htu === "string" && htuOf(htu) === htuOf(p.url);
  } catch {
    same = false;
  }
  if (!same) throw proofError("The DPoP proof's htu does not match");
  if (typeof iat !== "number") throw proofError("The DPoP proof has no iat");
  const nowS = nowMs / 1000;
  if (iat < nowS - o.maxAgeSeconds || iat > nowS + o.futureSkewSeconds)
    throw proofError("The DPoP proof's iat is out of range");
  if (ath !== (await accessTokenHash(accessToken))) throw proofError("The DPoP proof's ath does not match");
  return { jti, iat };
}

/** Builds the DPoP checker a verifier uses; see {@link DpopVerifierOptions}. */
export function createDpopChecker(options: DpopVerifierOptions = {}) {
  const settings = {
    maxAgeSeconds: options.maxAgeSeconds ?? 60,
    futureSkewSeconds: options.futureSkewSeconds ?? 10,
    algorithms: options.algorithms ?? ["ES256", "EdDSA"],
  };
  const replay = options.replayCache ?? createMemoryReplayCache();

  /**
   * Checks the binding of verified token claims against the request. `presentation` undefined means the
   * token came as Bearer.
   * @throws TokenVerificationError `invalid_token` (wrong scheme) or `invalid_dpop_proof`
   */
  return async function checkDpop(
    claims: Record<string, unknown>,
    accessToken: string,
    presentation: DpopPresentation | undefined,
    nowMs = Date.now(),
  ): Promise<void> {
    const jkt = (claims.cnf as { jkt?: unknown } | undefined)?.jkt;
    if (presentation === undefined) {
      if (jkt !== undefined) throw new TokenVerificationError("invalid_token", BOUND_AS_BEARER);
      return;
    }
    if (typeof jkt !== "string")
      throw new TokenVerificationError("invalid_token", "The access token is not DPoP-bound");
    const { proof } = presentation;
    if (!proof) throw proofError("A DPoP proof is required");
    if (proof.includes(",")) throw proofError("More than one DPoP proof");
    checkHeader(proof, settings.algorithms);
    let payload: Record<string, unknown>;
    let jwk: JWK;
    try {
      const verified = await jwtVerify(proof, EmbeddedJWK, {
        typ: "dpop+jwt",
        algorithms: [...settings.algorithms],
        currentDate: new Date(nowMs),
      });
      payload = verified.payload;
      jwk = verified.protectedHeader.jwk as JWK;
    } catch (cause) {
      throw new TokenVerificationError("invalid_dpop_proof", "The DPoP proof's signature is invalid", { cause });
    }
    if ((await calculateJwkThumbprint(jwk, "sha256")) !== jkt)
      throw proofError("The DPoP proof's key is not the token's key");
    const { jti, iat } = await checkClaims(payload, presentation, accessToken, settings, nowMs);
    if (!(await replay.remember(jkt, jti, (iat + settings.maxAgeSeconds) * 1000)))
      throw proofError("The DPoP proof was used before");
  };
}

/** The DPoP checker of a verifier. */
export type DpopChecker = ReturnType<typeof createDpopChecker>;
