/**
 * zod validation for the admin API through @hono/zod-validator, with failures rendered as problem+json:
 * the field paths and zod's fixed messages, never the rejected values. Unknown keys are reported without
 * their names (zod would quote them: caller-chosen text of any length), and at most MAX_ERRORS are listed. A
 * refused JSON body that was not sent as JSON is 415: the fields are missing only because it was not read.
 */
import { zValidator } from "@hono/zod-validator";
import type { ValidationTargets } from "hono";
import type { z } from "zod";
import { ProblemError, problems } from "../domain/errors";

const MAX_ERRORS = 10;

const isJson = (contentType: string | undefined) =>
  contentType !== undefined && /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i.test(contentType);

/** Validates one part of the request with `schema`; a body sent as anything but JSON is 415, not a list of missing fields. */
export function validate<T extends z.ZodType, Target extends keyof ValidationTargets>(target: Target, schema: T) {
  return zValidator(target, schema, (result, c) => {
    if (!result.success) {
      if (target === "json" && !isJson(c.req.header("content-type")))
        throw new ProblemError(
          "unsupported_media_type",
          "Send the request body as JSON, with Content-Type: application/json.",
        );
      const errors = result.error.issues.slice(0, MAX_ERRORS).map((i) => ({
        path: i.path.map(String).join("."),
        message: i.code === "unrecognized_keys" ? "Unknown field" : i.message,
      }));
      throw problems.badRequest(`The ${target === "json" ? "request body" : target} is invalid.`, { errors });
    }
  });
}
