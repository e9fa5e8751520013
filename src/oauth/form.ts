/**
 * Reading an OAuth request body (token, and later introspection and revocation): form-urlencoded only, capped
 * at MAX_FORM_BYTES before parsing, every parameter at most once (RFC 6749 section 3.2), empty values treated
 * as omitted. Takes the raw Request, so any endpoint can use it without hono.
 */
import { OAUTH_DESCRIPTIONS as D, OAuthError } from "../domain/errors";
import { MAX_FORM_BYTES } from "../tunables";

// One decoder per isolate: decode() without `stream` starts afresh on every call, so it can be shared.
const utf8Strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

async function readCapped(request: Request, limit: number): Promise<Uint8Array | null> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) return null;
  if (!request.body) return new Uint8Array();
  if (declared !== null && /^\d+$/.test(declared)) {
    // HTTP framing holds the body to its declared length, so the native read (far cheaper than a
    // chunk loop on the hot path) cannot run past the cap; the size is checked again all the same.
    const bytes = new Uint8Array(await request.arrayBuffer());
    return bytes.byteLength > limit ? null : bytes;
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** The request's form parameters, or an OAuthError(invalid_request) for any violation. */
export async function readOAuthForm(request: Request): Promise<Map<string, string>> {
  const type = request.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase();
  if (type !== "application/x-www-form-urlencoded") throw new OAuthError("invalid_request", D.notForm);
  const bytes = await readCapped(request, MAX_FORM_BYTES);
  if (bytes === null) throw new OAuthError("invalid_request", D.bodyTooLarge);
  let text: string;
  try {
    text = utf8Strict.decode(bytes);
  } catch {
    throw new OAuthError("invalid_request", D.notForm, { reason: "body is not UTF-8" });
  }
  const params = new Map<string, string>();
  const seen = new Set<string>();
  for (const [name, value] of new URLSearchParams(text)) {
    if (seen.has(name)) throw new OAuthError("invalid_request", D.duplicateParameter);
    seen.add(name);
    if (value !== "") params.set(name, value);
  }
  return params;
}
