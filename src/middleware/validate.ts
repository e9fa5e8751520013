/**
 * zod validation for the admin API through @hono/zod-validator, with failures rendered as problem+json
 * (the field paths and zod's fixed messages; never the rejected values).
 */
import { zValidator } from "@hono/zod-validator";
import type { ValidationTargets } from "hono";
import type { z } from "zod";
import { problems } from "../domain/errors";

export function validate<T extends z.ZodType, Target extends keyof ValidationTargets>(target: Target, schema: T) {
  return zValidator(target, schema, (result) => {
    if (!result.success) {
      const errors = result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
      throw problems.badRequest(`The ${target === "json" ? "request body" : target} is invalid.`, { errors });
    }
  });
}
