/**
 * INSERT ... SELECT ... WHERE: an insert that happens only when a condition holds at the moment it runs,
 * inside the same db.batch. D1 has no interactive transactions, so a check read before the batch can be
 * stale by the time the batch runs; a condition in the statement itself cannot.
 */
import { and, eq, getTableColumns, sql, type SQL } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "./db";
import { tenants } from "./schema";

/** Inserts `row` (which carries its tenant) only when `condition` is true when the statement runs. */
export function insertIf<T extends SQLiteTable>(
  db: Db,
  table: T,
  row: T["$inferInsert"] & { tenantId: string },
  condition: SQL,
) {
  const values = row as Record<string, unknown>;
  const fields = Object.fromEntries(
    Object.entries(getTableColumns(table)).map(([key, column]) => {
      const value = values[key];
      return [
        key,
        sql`${value === null || value === undefined ? null : column.mapToDriverValue(value)}`.as(column.name),
      ];
    }),
  );
  const select = db
    .select(fields)
    .from(tenants)
    .where(and(eq(tenants.id, row.tenantId), condition));
  return db.insert(table).select(select as never);
}
