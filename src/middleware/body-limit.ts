/**
 * A cap on JSON request bodies (admin API, console sign-in, setup-code redemption), enforced before anything
 * parses them: by Content-Length when it is sent, else by counting the stream. Over the cap: 413 problem+json.
 * The token endpoint caps its form body itself (form-body.ts), since its errors are OAuth-shaped.
 */
import { bodyLimit } from "hono/body-limit";
import { problems } from "../domain/errors";

/** Admin API and console bodies: a resource with 100 fully described scopes is about half of this. */
export const MAX_JSON_BYTES = 64 * 1024;

export function jsonBodyLimit(maxBytes = MAX_JSON_BYTES) {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw problems.payloadTooLarge(maxBytes);
    },
  });
}
