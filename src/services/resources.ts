/**
 * Resources (the APIs tokens are for) and their scope catalogs. A URI names one resource per tenant: the
 * read before the write gives the usual 409, and the unique index decides a race between two creates, which
 * gets the same 409. The new row and its audit event are one batch.
 */
import type { RequestContext } from "../context";
import { newId } from "../crypto/secrets";
import { problems } from "../domain/errors";
import type { ScopeDefinition } from "../domain/grants";
import { auditInsert } from "../storage/audit";
import { isUniqueViolation } from "../storage/errors";
import { insertResource, listResources } from "../storage/resources";
import type { ResourceRow } from "../storage/schema";
import type { Actor } from "./credentials";

export interface NewResourceInput {
  uri: string;
  name: string;
  scopes: ScopeDefinition[];
}

const uriTaken = () => problems.conflict("A resource with this URI already exists.");

/** The tenant's resources, oldest first. */
export function tenantResources(ctx: Pick<RequestContext, "db">, tenantId: string): Promise<ResourceRow[]> {
  return listResources(ctx.db, tenantId);
}

/** Defines a resource: 400 for repeated scope names, 409 when the tenant already has its URI. */
export async function createResource(
  ctx: Pick<RequestContext, "db">,
  who: Actor,
  input: NewResourceInput,
  nowMs: number,
): Promise<ResourceRow> {
  const { db } = ctx;
  const names = input.scopes.map((s) => s.name);
  if (new Set(names).size !== names.length) throw problems.badRequest("Scope names must be unique within a resource.");
  if ((await listResources(db, who.tenantId)).some((r) => r.uri === input.uri)) throw uriTaken();
  const row: ResourceRow = {
    id: newId("res"),
    tenantId: who.tenantId,
    uri: input.uri,
    name: input.name,
    scopes: input.scopes,
    builtin: false,
    createdAt: nowMs,
    createdBy: who.actor,
  };
  try {
    await db.batch([
      insertResource(db, row),
      auditInsert(db, {
        ...who,
        at: nowMs,
        action: "resource.create",
        targetType: "resource",
        targetId: row.id,
        detail: { uri: row.uri, scopes: names },
      }),
    ]);
  } catch (err) {
    if (isUniqueViolation(err)) throw uriTaken();
    throw err;
  }
  return row;
}
