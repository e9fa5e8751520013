/**
 * Admin actions on a credential's public keys (private_key_jwt): retiring one now. Keys are added only by
 * setup-code redemption (setup-redemption.ts), so a private key never passes through Latchkey or an admin.
 * A retirement is one batch with its audit event, guarded so that of two racing retirements one wins and
 * the other gets 409; then it is propagated like a retired secret (KV entry, caches).
 */
import { problems } from "../domain/errors";
import { auditInsertIf, previousStatementChanged } from "../storage/audit";
import { listKeys, retireKey } from "../storage/client-keys";
import type { CredentialRow } from "../storage/schema";
import { publishCredentialChange } from "./credential-changes";
import { touchCredential } from "../storage/credential-sync";
import type { Actor, CredentialDeps as Deps } from "./credentials";

const alreadyRetired = () => problems.conflict("This key is already retired.");

/** Retires a key (named by its id or its thumbprint) at once; it stops authenticating everywhere. */
export async function retireCredentialKey(
  ctx: Deps,
  who: Actor,
  credential: CredentialRow,
  keyRef: string,
  nowMs: number,
): Promise<void> {
  const { db } = ctx;
  const key = (await listKeys(db, who.tenantId, credential.id)).find((k) => k.id === keyRef || k.thumbprint === keyRef);
  if (!key) throw problems.notFound("key");
  if (key.retiredAt !== null) throw alreadyRetired();
  const [retired] = await db.batch([
    retireKey(db, credential.id, key.id, nowMs),
    auditInsertIf(
      db,
      {
        ...who,
        at: nowMs,
        action: "credential.key.retire",
        targetType: "credential",
        targetId: credential.id,
        detail: { key: key.id, thumbprint: key.thumbprint },
      },
      previousStatementChanged(),
    ),
    touchCredential(db, credential.id, nowMs),
  ]);
  if (retired.meta.changes === 0) throw alreadyRetired();
  await publishCredentialChange(ctx, who.tenantId, credential.id, nowMs, {
    background: ctx.background,
    hint: { retired: [key.id] },
  });
}
