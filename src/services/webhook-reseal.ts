/**
 * KEY_ENCRYPTION_KEY rotation for webhook signing secrets, cron side: every endpoint whose envelope is not
 * under the current key is opened (current or previous key) and resealed under the current one, guarded on
 * the old envelope. Once the `webhook_secret_reseal` line reports nothing unreadable and nothing left, the
 * previous key can go (docs/deploy.md), together with the signing keys' own report.
 */
import type { RequestContext } from "../context";
import { keyId } from "../crypto/key-id";
import { envelopeKeyId } from "../crypto/signing-keys";
import { openWebhookSecret, sealWebhookSecret } from "../crypto/webhook-signature";
import { allEndpointEnvelopes, replaceEndpointEnvelope } from "../storage/webhooks";

/** Reseals stale webhook secret envelopes and logs one `webhook_secret_reseal` line. Throws only on D1 failure. */
export async function resealWebhookSecrets(ctx: Pick<RequestContext, "db" | "config" | "log">): Promise<void> {
  const { keyEncryptionKey: current, keyEncryptionKeyPrevious: previous } = ctx.config;
  const currentId = await keyId(current);
  let resealed = 0;
  let unreadable = 0;
  for (const row of await allEndpointEnvelopes(ctx.db)) {
    if (envelopeKeyId(row.envelope) === currentId) continue;
    try {
      const secret = await openWebhookSecret({ current, previous }, row.id, row.envelope);
      const sealed = await sealWebhookSecret(current, row.id, secret);
      if (await replaceEndpointEnvelope(ctx.db, row.id, row.envelope, sealed)) resealed += 1;
    } catch {
      unreadable += 1;
    }
  }
  if (resealed > 0 || unreadable > 0) ctx.log.info("webhook_secret_reseal", { resealed, unreadable });
}
