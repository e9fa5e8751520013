/** Repository for resources (the APIs tokens are for) and their scope catalogs. */
import { and, asc, eq } from "drizzle-orm";
import type { Db } from "./db";
import { resources, type ResourceRow } from "./schema";

export function listResources(db: Db, tenantId: string): Promise<ResourceRow[]> {
  return db.select().from(resources).where(eq(resources.tenantId, tenantId)).orderBy(asc(resources.createdAt)).all();
}

export function getResource(db: Db, tenantId: string, id: string): Promise<ResourceRow | undefined> {
  return db
    .select()
    .from(resources)
    .where(and(eq(resources.tenantId, tenantId), eq(resources.id, id)))
    .get();
}

/** The insert statement, for a batch with its audit event. */
export function insertResource(db: Db, row: ResourceRow) {
  return db.insert(resources).values(row);
}

/** Replaces a resource's name and scope catalog, for a batch with its audit event. */
export function updateResource(db: Db, tenantId: string, id: string, patch: Pick<ResourceRow, "name" | "scopes">) {
  return db
    .update(resources)
    .set(patch)
    .where(and(eq(resources.tenantId, tenantId), eq(resources.id, id)));
}
