/**
 * POST /setup/redeem: a machine trades a one-time setup code for its credential (a secret generated now,
 * or the registration of its public key for private_key_jwt). No authentication but the code. Attempts are
 * limited per IP before anything else, malformed codes included; the checksum refuses typos before any
 * Durable Object call; unknown, expired, used and cancelled codes all get the same invalid_setup_code body.
 */
import { Hono } from "hono";
import type { AppEnv } from "../context";
import { problems } from "../domain/errors";
import { issuerFor } from "../domain/realms";
import { serviceActor } from "../domain/actors";
import { toClientPublicKey } from "../crypto/client-assertion";
import { isWellFormedSetupCode } from "../crypto/secrets";
import { jsonBodyLimit } from "../middleware/body-limit";
import { NO_STORE_HEADERS } from "../middleware/error-handler";
import { clientIp, withinLimit } from "../middleware/rate-limit";
import { ctxOf } from "../middleware/request-context";
import { validate } from "../middleware/validate";
import { invalidSetupCode } from "../services/setup-codes";
import { redeemSetupCode } from "../services/setup-redemption";
import { REDEEM_WINDOW_SECONDS } from "../tunables";
import { redeemSetupCodeSchema } from "./admin/schemas";

const MAX_BODY_BYTES = 8 * 1024;

export const setupRoutes = new Hono<AppEnv>();

setupRoutes.post(
  "/setup/redeem",
  async (c, next) => {
    if (!(await withinLimit(c.env.REDEEM_IP_LIMITER, clientIp(c)))) throw problems.rateLimited(REDEEM_WINDOW_SECONDS);
    await next();
  },
  jsonBodyLimit(MAX_BODY_BYTES),
  validate("json", redeemSetupCodeSchema),
  async (c) => {
    const body = c.req.valid("json");
    const ctx = ctxOf(c);
    const nowMs = ctx.clock();
    if (!(await isWellFormedSetupCode(body.code))) throw invalidSetupCode();
    const key = body.public_jwk ? await toClientPublicKey(body.public_jwk) : null;
    if (body.mode === "key" && !key)
      throw problems.badRequest("public_jwk is not a valid P-256 or Ed25519 public key.");
    const ip = c.req.header("cf-connecting-ip") ?? null;
    const redeemed = await redeemSetupCode(
      ctx,
      {
        code: body.code,
        mode: body.mode,
        key,
        hostname: body.hostname ?? null,
        ip,
        userAgent: c.req.header("user-agent") ?? null,
      },
      nowMs,
    );
    const { credential } = redeemed;
    // The credential's own issuer, wherever the code was redeemed: the code names the credential.
    const issuer = issuerFor(ctx.config, credential.tenantId);
    return c.json(
      {
        issuer,
        token_endpoint: `${issuer}/oauth/token`,
        client_id: credential.id,
        name: serviceActor(credential.label),
        label: credential.label,
        mode: redeemed.mode,
        ...(redeemed.clientSecret ? { client_secret: redeemed.clientSecret } : {}),
        ...(redeemed.keyId ? { key_id: redeemed.keyId } : {}),
      },
      200,
      NO_STORE_HEADERS,
    );
  },
);

setupRoutes.all("/setup/redeem", () => {
  throw problems.methodNotAllowed("POST");
});
