/**
 * Extracting client credentials from a token request (RFC 6749 section 2.3): HTTP Basic with the
 * form-urlencoding of section 2.3.1, client_secret_post, private_key_jwt (a client_assertion of type
 * jwt-bearer, RFC 7523 section 2.2), a client_id alone with a subject token (RFC 8693, accepted only by the
 * token-exchange grant), or a public client's bare client_id ("none", only public grants). Exactly one method
 * per request; credentials in the query string are refused. Nothing here touches storage or verifies a
 * signature: the method modules beside it authenticate.
 */
import { peekAssertion } from "../../crypto/client-assertion";
import { isClientIdShape } from "../../crypto/secrets";
import { invalidClient, OAUTH_DESCRIPTIONS as D, OAuthError } from "../../domain/errors";

/** RFC 8693's grant_type: the one grant whose client presents a subject token instead of a secret. */
const TOKEN_EXCHANGE_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange";

export type PresentedCredentials =
  | { method: "client_secret_basic" | "client_secret_post"; clientId: string; secret: string }
  | { method: "private_key_jwt"; clientId: string | undefined; assertion: string }
  | {
      method: "subject_token";
      clientId: string;
      subjectToken: string | undefined;
      subjectTokenType: string | undefined;
    }
  | { method: "none"; clientId: string };

const QUERY_CREDENTIALS = ["client_id", "client_secret", "client_assertion", "client_assertion_type"];
export const JWT_BEARER_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

// One decoder per isolate: decode() without `stream` starts afresh on every call, so it can be shared.
const utf8Strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
/** atob yields char codes 0-255; only those from 128 up need UTF-8 decoding. */
const NON_ASCII = /[\u0080-\u00ff]/;

/** RFC 6749 appendix B: `+` is a space, then percent-decoding. */
function formDecode(value: string): string | null {
  if (!value.includes("%") && !value.includes("+")) return value;
  try {
    return decodeURIComponent(value.replace(/\+/g, " "));
  } catch {
    return null;
  }
}

/** The bytes of a binary string (each char code below 256), as atob returns it. */
function latin1Bytes(binary: string): Uint8Array {
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Decodes `Authorization: Basic` into client_id and secret, or throws invalid_client with a challenge. */
export function parseBasic(header: string): { clientId: string; secret: string } {
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  if (!match?.[1]) throw invalidClient("malformed Basic header", true);
  let decoded: string;
  try {
    const binary = atob(match[1]);
    decoded = NON_ASCII.test(binary) ? utf8Strict.decode(latin1Bytes(binary)) : binary;
  } catch {
    throw invalidClient("Basic header is not base64 of UTF-8", true);
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) throw invalidClient("Basic header has no colon", true);
  const clientId = formDecode(decoded.slice(0, colon));
  const secret = formDecode(decoded.slice(colon + 1));
  if (!clientId || !secret) throw invalidClient("Basic credentials are empty or badly encoded", true);
  return { clientId, secret };
}

/** Which credentials the request presents; throws for none, for two methods, or for query-string credentials. */
export function presentedCredentials(
  url: URL,
  authorization: string | undefined,
  params: Map<string, string>,
): PresentedCredentials {
  if (QUERY_CREDENTIALS.some((name) => url.searchParams.has(name))) {
    throw new OAuthError("invalid_request", D.credentialsInQuery);
  }
  const bodySecret = params.get("client_secret");
  const assertion = params.get("client_assertion");
  const assertionType = params.get("client_assertion_type");
  const bodyClientId = params.get("client_id");
  const basic = authorization !== undefined && /^basic(\s|$)/i.test(authorization);
  const methods = [basic, bodySecret !== undefined, assertion !== undefined || assertionType !== undefined];
  if (methods.filter(Boolean).length > 1) throw new OAuthError("invalid_request", D.twoAuthMethods);

  if (basic) {
    const credentials = parseBasic(authorization);
    if (bodyClientId !== undefined && bodyClientId !== credentials.clientId) {
      throw invalidClient("body client_id differs from Basic client_id", true);
    }
    return { method: "client_secret_basic", ...credentials };
  }
  if (bodySecret !== undefined) {
    if (bodyClientId === undefined) throw invalidClient("client_secret without client_id", false);
    return { method: "client_secret_post", clientId: bodyClientId, secret: bodySecret };
  }
  if (assertion !== undefined || assertionType !== undefined) {
    if (assertionType !== JWT_BEARER_ASSERTION || assertion === undefined) {
      throw invalidClient("unsupported or incomplete client assertion", false);
    }
    return { method: "private_key_jwt", clientId: bodyClientId, assertion };
  }
  if (bodyClientId !== undefined) {
    // RFC 8693 token exchange: client_id only, the subject token is the proof (only that grant accepts it).
    if (params.get("grant_type") === TOKEN_EXCHANGE_GRANT_TYPE) {
      return {
        method: "subject_token",
        clientId: bodyClientId,
        subjectToken: params.get("subject_token"),
        subjectTokenType: params.get("subject_token_type"),
      };
    }
    // RFC 6749 section 2.1: a public client identifies itself by client_id alone; only public grants accept it.
    return { method: "none", clientId: bodyClientId };
  }
  throw invalidClient("no client credentials", false);
}

/**
 * The client_id a request claims, for counting its failures per (client_id, source): the presented id, or a
 * client assertion's unverified `iss`; null when there is none or it is not shaped like a client id. Whether the
 * id exists plays no part, so the limits do not reveal which ids exist.
 */
export function claimedClientId(presented: PresentedCredentials | undefined): string | null {
  if (!presented) return null;
  const id =
    presented.clientId ??
    (presented.method === "private_key_jwt" ? peekAssertion(presented.assertion)?.iss : undefined);
  return id !== undefined && isClientIdShape(id) ? id : null;
}
