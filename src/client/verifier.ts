/**
 * Access-token verification for resource servers (RFC 9068 JWT profile, RFC 8725 BCP).
 * Checks signature against the issuer's JWKS (jose refetches on an unknown kid, at most once per
 * cooldown), `typ: at+jwt`, an algorithm allow-list, iss, aud, exp/nbf with a small skew, then scopes.
 * JWKS fetch failures are not the token's fault: they surface as LatchkeyError, not TokenVerificationError.
 * With `revocationFeed`, tokens named by Latchkey's signed revocation feed are refused (revocation-feed.ts).
 */
import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTPayload } from "jose";
import { discover, normalizeIssuer, type FetchLike } from "./discovery.js";
import { createDpopChecker, type DpopPresentation, type DpopVerifierOptions } from "./dpop-verify.js";
import { LatchkeyError, TokenVerificationError } from "./errors.js";
import { createRevocationFeed, type RevocationFeed, type RevocationFeedOptions } from "./revocation-feed.js";
import { requireSecureUrl } from "./secure-url.js";

/** Claims of a Latchkey access token. */
export interface LatchkeyClaims extends JWTPayload {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  jti: string;
  client_id: string;
  /** Space-separated scopes. */
  scope?: string;
  /** Attribution name, `svc:<label>`. */
  svc?: string;
  tenant?: string;
  groups?: string[];
  /** RFC 9449: the thumbprint of the DPoP key a bound token must be presented with. */
  cnf?: { jkt: string };
}

/** Options of {@link createVerifier}. */
export interface VerifierOptions {
  /** The issuer URL (trailing slashes ignored); tokens must carry it as `iss` without a trailing slash, as Latchkey issues it. */
  issuer: string;
  /** This resource server's URI; tokens must carry it in `aud`. */
  audience: string | string[];
  /** JWKS URL. Default: `jwks_uri` from discovery, else `${issuer}/.well-known/jwks.json`. */
  jwksUri?: string;
  /** Accepted signing algorithms. Default ES256, EdDSA, RS256. */
  algorithms?: string[];
  /** Allowed clock skew in seconds for exp/nbf/iat. Default 30. */
  clockTolerance?: number;
  /** Minimum seconds between two JWKS refetches on an unknown kid. Default 30. */
  cooldownDuration?: number;
  /** DPoP (RFC 9449): proof checks and the replay cache. Default: 60 s window, in-memory cache. */
  dpop?: DpopVerifierOptions;
  fetch?: FetchLike;
  /**
   * Poll Latchkey's signed revocation feed and refuse the tokens it names (`true`: the defaults). Off when
   * omitted. See {@link RevocationFeedOptions} for the poll interval, the staleness bound and fail closed/open.
   */
  revocationFeed?: RevocationFeedOptions | true;
}

/** Options of one verification. */
export interface VerifyOptions {
  /** Scopes that must all be present in the token's `scope` claim. */
  requiredScopes?: readonly string[];
  /** The request's DPoP side when it came with `Authorization: DPoP`; omitted means Bearer. */
  dpop?: DpopPresentation;
}

/** A token verifier; see {@link createVerifier}. */
export interface Verifier {
  /**
   * Verifies a bearer token and returns its claims.
   * @throws TokenVerificationError `invalid_token`, `invalid_dpop_proof` or `insufficient_scope`
   * @throws LatchkeyError `network_error`/`invalid_response` when the JWKS cannot be fetched
   */
  verify(token: string, options?: VerifyOptions): Promise<LatchkeyClaims>;
  /** Stops background work (the revocation feed's polling). */
  close?(): void;
}

const REQUIRED_CLAIMS = ["iss", "sub", "aud", "exp", "iat", "jti", "client_id"];

/** Splits a `scope` claim (RFC 6749 section 3.3: space-separated) into its tokens. */
export function parseScope(scope: unknown): string[] {
  return typeof scope === "string" ? scope.split(" ").filter(Boolean) : [];
}

/**
 * Creates a verifier for tokens of one Latchkey issuer addressed to one resource server.
 * @throws TypeError at once when `issuer` or `jwksUri` is not https (plain http only for loopback).
 */
export function createVerifier(options: VerifierOptions): Verifier {
  requireSecureUrl(options.issuer, "issuer");
  if (options.jwksUri !== undefined) requireSecureUrl(options.jwksUri, "jwksUri");
  const issuer = normalizeIssuer(options.issuer);
  const fetchImpl: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  let jwks: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  const checkDpop = createDpopChecker(options.dpop);

  const resolveJwksUri = async (): Promise<string> => {
    if (options.jwksUri) return options.jwksUri;
    try {
      const meta = await discover(issuer, { fetch: fetchImpl });
      if (typeof meta.jwks_uri === "string") return meta.jwks_uri;
    } catch {
      // Discovery is optional here: fall back to the conventional location.
    }
    return `${issuer}/.well-known/jwks.json`;
  };

  const getJwks = () =>
    (jwks ??= resolveJwksUri().then((uri) =>
      createRemoteJWKSet(new URL(uri), {
        cooldownDuration: (options.cooldownDuration ?? 30) * 1000,
        [customFetch]: (url: string, init: RequestInit) => fetchImpl(url, init),
      }),
    ));

  const algorithms = options.algorithms ?? ["ES256", "EdDSA", "RS256"];
  const feedOptions = options.revocationFeed === true ? {} : options.revocationFeed;
  const feed: RevocationFeed | undefined =
    feedOptions && createRevocationFeed({ issuer, keys: getJwks, algorithms, fetch: fetchImpl }, feedOptions);

  return {
    close: () => feed?.stop(),
    async verify(token, verifyOptions = {}) {
      if (typeof token !== "string" || token.length === 0) {
        throw new TokenVerificationError("invalid_token", "The access token is missing");
      }
      const keySet = await getJwks();
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keySet, {
          typ: "at+jwt",
          issuer,
          audience: options.audience,
          algorithms,
          clockTolerance: options.clockTolerance ?? 30,
          requiredClaims: REQUIRED_CLAIMS,
        }));
      } catch (error) {
        throw toVerificationError(error);
      }
      if (feed) await feed.check(payload);
      await checkDpop(payload, token, verifyOptions.dpop);
      const required = verifyOptions.requiredScopes ?? [];
      const granted = new Set(parseScope(payload.scope));
      if (required.some((s) => !granted.has(s))) {
        throw new TokenVerificationError("insufficient_scope", "The access token lacks a required scope", {
          requiredScopes: required,
        });
      }
      return payload as LatchkeyClaims;
    },
  };
}

function toVerificationError(error: unknown): Error {
  // jose reports a JWKS that is not 200/JSON as a bare JOSEError (code ERR_JOSE_GENERIC).
  const generic = error instanceof errors.JOSEError && error.code === "ERR_JOSE_GENERIC";
  if (generic || error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) {
    return new LatchkeyError("invalid_response", "The issuer JWKS could not be loaded", { cause: error });
  }
  if (error instanceof errors.JOSEError) {
    const expired = error instanceof errors.JWTExpired;
    return new TokenVerificationError(
      "invalid_token",
      expired ? "The access token expired" : "The access token is invalid",
      {
        cause: error,
      },
    );
  }
  if (error instanceof TypeError) {
    return new LatchkeyError("network_error", "The issuer JWKS could not be fetched", { cause: error });
  }
  return new TokenVerificationError("invalid_token", "The access token is invalid", { cause: error });
}
