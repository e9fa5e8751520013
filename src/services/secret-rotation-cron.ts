/**
 * Secret rotation, cron side. KEY_ENCRYPTION_KEY: every signing key whose envelope is not under the current key
 * (a v1 envelope without a key id, or one naming the previous key) is opened and resealed under the current
 * key. The write is guarded on the old envelope, so two runs never clobber each other. Once this reports no
 * stale envelope, KEY_ENCRYPTION_KEY_PREVIOUS can be removed. SECRET_PEPPER: secret hashes are renewed on use
 * (pepper-rotation.ts); the cron only counts those still waiting, so the operator knows when to drop the previous pepper.
 */
import type { RequestContext } from "../context";
import { keyId } from "../crypto/key-id";
import { countSecretsNotUnderPepper } from "../storage/credential-secrets";
import { envelopeKeyId, openPrivateJwk, sealPrivateJwk } from "../crypto/signing-keys";
import { listAllSigningKeys, replaceEnvelope } from "../storage/signing-keys";
import { wrappingSecrets } from "./signing-key-ring";

/** What the cron step uses: the D1 primary, config, the logger, and env for the signing-key ring's secrets. */
type Deps = Pick<RequestContext, "db" | "config" | "log">;

/** Reseals stale envelopes; `stale` counts those that could not be (their key is neither current nor previous). */
export async function resealSigningKeys(
  ctx: Pick<RequestContext, "db" | "log" | "config">,
): Promise<{ resealed: number; stale: number }> {
  const { db } = ctx;
  const secrets = wrappingSecrets(ctx.config);
  const currentId = await keyId(secrets.current);
  let resealed = 0;
  let stale = 0;
  for (const row of await listAllSigningKeys(db)) {
    if (envelopeKeyId(row.privateJwkEnvelope) === currentId) continue;
    try {
      const jwk = await openPrivateJwk(secrets, row.kid, row.privateJwkEnvelope);
      const sealed = await sealPrivateJwk(secrets.current, row.kid, jwk);
      if (await replaceEnvelope(db, row.kid, row.privateJwkEnvelope, sealed)) resealed += 1;
    } catch (err) {
      stale += 1;
      ctx.log.error("signing_key_reseal_failed", { kid: row.kid, error: String(err) });
    }
  }
  return { resealed, stale };
}

/** Cron step: reseals stale envelopes and logs one `key_rotation_status` line with what a rotation still waits for. */
export async function reportKeyRotation(ctx: Deps, nowMs: number): Promise<void> {
  const { config } = ctx;
  const reseal = await resealSigningKeys(ctx);
  const pepperId = await keyId(config.secretPepper);
  ctx.log.info("key_rotation_status", {
    key_encryption_key_id: await keyId(config.keyEncryptionKey),
    signing_keys_resealed: reseal.resealed,
    signing_keys_unreadable: reseal.stale,
    pepper_id: pepperId,
    secret_hashes_under_other_pepper: await countSecretsNotUnderPepper(ctx.db, pepperId, nowMs),
  });
}
