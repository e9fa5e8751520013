/** Repository for resources (the APIs tokens are for) and their scope catalogs. */
import { asc, eq } from "drizzle-orm";
import type { Db } from "./db";
import { resources, type ResourceRow } from "./schema";

export function listResources(db: Db, tenantId: string): Promise<ResourceRow[]> {
  return db.select().from(resources).where(eq(resources.tenantId, tenantId)).orderBy(asc(resources.createdAt)).all();
}

/** The insert statement, for a batch with its audit event. */
export function insertResource(db: Db, row: ResourceRow) {
  return db.insert(resources).values(row);
}
