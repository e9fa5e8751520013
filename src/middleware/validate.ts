/**
 * zod validation for the admin API through @hono/zod-validator, with failures rendered as problem+json:
 * the field paths and zod's fixed messages, never the rejected values. Unknown keys are reported without
 * their names (zod would quote them: caller-chosen text of any length), and at most MAX_ERRORS are listed.
 */
import { zValidator } from "@hono/zod-validator";
import type { ValidationTargets } from "hono";
import type { z } from "zod";
import { problems } from "../domain/errors";

const MAX_ERRORS = 10;

export function validate<T extends z.ZodType, Target extends keyof ValidationTargets>(target: Target, schema: T) {
  return zValidator(target, schema, (result) => {
    if (!result.success) {
      const errors = result.error.issues.slice(0, MAX_ERRORS).map((i) => ({
        path: i.path.map(String).join("."),
        message: i.code === "unrecognized_keys" ? "Unknown field" : i.message,
      }));
      throw problems.badRequest(`The ${target === "json" ? "request body" : target} is invalid.`, { errors });
    }
  });
}
