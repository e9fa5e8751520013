/**
 * Authentication for the bootstrap endpoints (first management credential, first-owner link): the caller
 * presents the BOOTSTRAP_TOKEN secret as a Bearer token, compared in constant time over keyed digests.
 * Runs before any body parsing: without the secret the endpoint does not exist (404, whatever the body),
 * and the per-IP limit is counted before the compare, so the token cannot be guessed at speed.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context";
import { digestsEqual, keyedHash } from "../crypto/secrets";
import { problems } from "../domain/errors";
import { AUTH_FAILURE_WINDOW_SECONDS } from "../tunables";
import { clientIp, withinLimit } from "./rate-limit";
import { ctxOf } from "./request-context";

/** 404 when bootstrapping is disabled, 429 past the per-IP limit, 401 unless the Bearer token matches. */
export function bootstrapAuth(): MiddlewareHandler<AppEnv> {
  return async function bootstrapAuth(c, next) {
    const { config } = ctxOf(c);
    if (!config.bootstrapToken) throw problems.notFound("endpoint");
    if (!(await withinLimit(c.env.AUTH_FAILURE_LIMITER, `bootstrap|${clientIp(c)}`)))
      throw problems.rateLimited(AUTH_FAILURE_WINDOW_SECONDS);
    const presented = /^Bearer +(\S+)$/i.exec(c.req.header("authorization") ?? "")?.[1] ?? "";
    const [expected, given] = await Promise.all([
      keyedHash(config.secretPepper, config.bootstrapToken),
      keyedHash(config.secretPepper, presented),
    ]);
    if (!digestsEqual(expected, given)) throw problems.unauthorized();
    await next();
  };
}
