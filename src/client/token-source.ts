/**
 * A cached, self-refreshing source of access tokens for one client (RFC 6749 section 4.4).
 * One refresh in flight at a time: concurrent callers share its promise. A token is refreshed once
 * ~80% of its lifetime has passed (minus a little jitter so fleets do not refresh in lockstep); if that
 * refresh fails for a transient reason while the old token is still valid, the old token is served.
 * A refusal is remembered in memory so a loop of callers cannot hammer the server: after a 429 (or 503) no
 * request is sent until its Retry-After has passed, and after `invalid_client`/`unauthorized_client` (a dead
 * credential) none for `rejectionBackoffMs`; meanwhile callers get the same error at once. With `dpop` the
 * tokens are bound to one key (RFC 9449) for the source's life, and `fetch` sends them with proofs.
 */
import type { CryptoKey, JWK } from "jose";
import { toAssertionKey, type AssertionAlgorithm } from "./client-auth.js";
import { discover, type FetchLike } from "./discovery.js";
import { generateDpopKey, type DpopKey } from "./dpop.js";
import { authorizedFetch } from "./dpop-fetch.js";
import { LatchkeyError } from "./errors.js";
import { requireSecureUrl } from "./secure-url.js";
import { requestToken, type AccessToken, type ClientCredential } from "./token-request.js";

export type { AccessToken } from "./token-request.js";

/** Options of {@link createTokenSource}. Give exactly one of `clientSecret`, `privateKey` and `subjectToken`. */
export interface TokenSourceOptions {
  /** The issuer URL, e.g. `https://latchkey.example.com`. */
  issuer: string;
  clientId: string;
  /** Secret for client_secret_basic. */
  clientSecret?: string;
  /** Private key for private_key_jwt: a private JWK with `kid` (and `alg` ES256|EdDSA), or a CryptoKey. */
  privateKey?: CryptoKey | JWK;
  /** Key id for a CryptoKey `privateKey` (the `key_id` from setup). */
  keyId?: string;
  /** Algorithm for a CryptoKey `privateKey`. */
  algorithm?: AssertionAlgorithm;
  /**
   * No secret (RFC 8693 token exchange): returns the workload's OIDC token (GitHub Actions, GitLab, a Kubernetes
   * projected token), called for every refresh, since each subject token is accepted once.
   */
  subjectToken?: () => string | Promise<string>;
  /** The subject token's type; default `urn:ietf:params:oauth:token-type:jwt`. */
  subjectTokenType?: string;
  /** Scopes to request (space-separated string or list); omitted: the credential's defaults. */
  scope?: string | readonly string[];
  /** RFC 8707 resource (the token's `aud`); omitted: the credential's default resource. */
  resource?: string;
  /** Skip discovery and use this token endpoint. */
  tokenEndpoint?: string;
  fetch?: FetchLike;
  /** Fraction of the lifetime after which a token is refreshed. Default 0.8. */
  earlyRefreshRatio?: number;
  /** Largest fraction of the lifetime subtracted at random from the refresh point. Default 0.05. */
  jitter?: number;
  /** How long an `invalid_client`/`unauthorized_client` refusal is remembered before asking again (ms). Default 30000. */
  rejectionBackoffMs?: number;
  /** Clock in milliseconds (tests). */
  now?: () => number;
  /** RFC 9449: mint DPoP-bound tokens with this key, or `true` for a fresh non-extractable ES256 key. */
  dpop?: DpopKey | true;
}

/** A token source; see {@link createTokenSource}. */
export interface TokenSource {
  /** Returns a valid access token, from cache when fresh enough. */
  getToken(): Promise<AccessToken>;
  /** Drops the cached token (e.g. after a resource server answered 401); a remembered refusal stays. */
  invalidate(): void;
  /** The DPoP key tokens are bound to, or undefined for Bearer tokens. */
  dpopKey(): Promise<DpopKey | undefined>;
  /**
   * fetch with `Authorization` set (`DPoP` and a fresh proof for bound tokens), retried once when the resource
   * server asks for a DPoP nonce.
   */
  fetch(input: string | URL, init?: RequestInit): Promise<Response>;
}

/**
 * When a token obtained at `obtainedAt` and expiring at `expiresAt` should be refreshed (ms).
 * @param random a number in [0, 1) choosing the jitter
 */
export function refreshDeadline(
  obtainedAt: number,
  expiresAt: number,
  ratio = 0.8,
  jitter = 0.05,
  random = Math.random(),
): number {
  const lifetime = Math.max(0, expiresAt - obtainedAt);
  return obtainedAt + lifetime * Math.max(0, ratio - jitter * random);
}

/** Default backoff after `invalid_client`: long enough that a dead credential cannot hammer the edge. */
export const DEFAULT_REJECTION_BACKOFF_MS = 30_000;
/** Backoff after a 429 or 503 that carried no Retry-After. */
const DEFAULT_RETRY_AFTER_SECONDS = 10;

/** Until when (ms) no new request should be sent after `error`, or undefined when one may be sent at once. */
export function backoffUntil(
  error: unknown,
  now: number,
  rejectionBackoffMs = DEFAULT_REJECTION_BACKOFF_MS,
): number | undefined {
  if (!(error instanceof LatchkeyError)) return undefined;
  if (error.code === "invalid_client" || error.code === "unauthorized_client") return now + rejectionBackoffMs;
  if (error.status === 429 || error.status === 503)
    return now + (error.retryAfter ?? DEFAULT_RETRY_AFTER_SECONDS) * 1000;
  return undefined;
}

const TRANSIENT = new Set(["network_error", "rate_limited", "temporarily_unavailable", "server_error"]);

/** True when an error may go away by itself (network, 429, 5xx): the caller may keep using a valid token. */
export function isTransient(error: unknown): boolean {
  return error instanceof LatchkeyError && (TRANSIENT.has(error.code) || error.status === 429 || error.status >= 500);
}

/**
 * Creates a token source for a Latchkey client (client_secret_basic, private_key_jwt, or a token exchange
 * of the workload's own OIDC token when `subjectToken` is given).
 * Discovers the token endpoint from the issuer's RFC 8414 metadata (client/discovery.ts) on first use.
 * @throws TypeError at once when `issuer` or `tokenEndpoint` is not https (plain http only for loopback).
 * @throws LatchkeyError from `getToken()`: the OAuth `error` code (e.g. `invalid_client`), `network_error`
 *   or `invalid_response`.
 */
export function createTokenSource(options: TokenSourceOptions): TokenSource {
  const given = [options.clientSecret, options.privateKey, options.subjectToken].filter((o) => o !== undefined);
  if (given.length !== 1) throw new TypeError("Give exactly one of clientSecret, privateKey and subjectToken");
  requireSecureUrl(options.issuer, "issuer");
  if (options.tokenEndpoint !== undefined) requireSecureUrl(options.tokenEndpoint, "tokenEndpoint");
  const now = options.now ?? Date.now;
  const scope = Array.isArray(options.scope) ? options.scope.join(" ") : (options.scope as string | undefined);
  let credential: Promise<ClientCredential> | undefined;
  let endpoint: Promise<string> | undefined;
  let cached: { token: AccessToken; refreshAt: number } | undefined;
  let inflight: Promise<AccessToken> | undefined;
  let refused: { error: unknown; until: number } | undefined;
  let dpopKey: Promise<DpopKey> | undefined;
  const nonces = new Map<string, string>();
  const getDpopKey = (): Promise<DpopKey | undefined> => {
    if (options.dpop === undefined) return Promise.resolve(undefined);
    dpopKey ??= options.dpop === true ? generateDpopKey() : Promise.resolve(options.dpop);
    return dpopKey;
  };

  const getCredential = (): Promise<ClientCredential> =>
    (credential ??=
      options.subjectToken !== undefined
        ? Promise.resolve({
            method: "token_exchange",
            clientId: options.clientId,
            subjectToken: options.subjectToken,
            ...(options.subjectTokenType === undefined ? {} : { subjectTokenType: options.subjectTokenType }),
          })
        : options.clientSecret !== undefined
          ? Promise.resolve({
              method: "client_secret_basic",
              clientId: options.clientId,
              clientSecret: options.clientSecret,
            })
          : toAssertionKey(options.privateKey!, {
              ...(options.keyId === undefined ? {} : { kid: options.keyId }),
              ...(options.algorithm === undefined ? {} : { alg: options.algorithm }),
            }).then((key) => ({ method: "private_key_jwt", clientId: options.clientId, key })));

  const getEndpoint = (): Promise<string> => {
    endpoint ??= options.tokenEndpoint
      ? Promise.resolve(options.tokenEndpoint)
      : discover(options.issuer, options.fetch ? { fetch: options.fetch } : {}).then((m) => m.token_endpoint);
    endpoint.catch(() => (endpoint = undefined));
    return endpoint;
  };

  const refresh = async (): Promise<AccessToken> => {
    const obtainedAt = now();
    if (refused && obtainedAt < refused.until) throw refused.error;
    refused = undefined;
    const tokenEndpoint = await getEndpoint();
    const key = await getDpopKey();
    const origin = new URL(tokenEndpoint).origin;
    const nonce = nonces.get(origin);
    const token = await requestToken({
      tokenEndpoint,
      ...(key ? { dpop: nonce === undefined ? { key } : { key, nonce } } : {}),
      issuer: options.issuer,
      credential: await getCredential(),
      ...(scope ? { scope } : {}),
      ...(options.resource ? { resource: options.resource } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      now: obtainedAt,
    }).catch((error: unknown) => {
      const until = backoffUntil(error, obtainedAt, options.rejectionBackoffMs);
      if (until !== undefined) refused = { error, until };
      throw error;
    });
    if (token.dpopNonce !== undefined) nonces.set(origin, token.dpopNonce);
    const refreshAt = refreshDeadline(obtainedAt, token.expiresAt, options.earlyRefreshRatio, options.jitter);
    cached = { token, refreshAt };
    return token;
  };

  const source: TokenSource = {
    async getToken() {
      const current = cached;
      if (current && now() < current.refreshAt) return current.token;
      inflight ??= refresh().finally(() => (inflight = undefined));
      try {
        return await inflight;
      } catch (error) {
        if (current && isTransient(error) && now() < current.token.expiresAt - 5_000) return current.token;
        throw error;
      }
    },
    invalidate() {
      cached = undefined;
    },
    dpopKey: getDpopKey,
    fetch: (input, init) =>
      authorizedFetch({
        getToken: () => source.getToken(),
        dpopKey: getDpopKey,
        nonces,
        ...(options.fetch ? { fetch: options.fetch } : {}),
      })(input, init),
  };
  return source;
}
