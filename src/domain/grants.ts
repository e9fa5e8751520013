/**
 * The shapes of what a credential may do: a resource's scope catalog entries and a credential's grants.
 * They live in the domain because every rule reasons about them; storage/schema.ts only types its JSON
 * columns with them (`import type`), so the database layer never decides anything about a grant.
 */

/** One scope a resource defines; `write` marks scopes that change data (reported in audit details). */
export interface ScopeDefinition {
  name: string;
  description: string;
  write: boolean;
}

/** The scopes of one resource a credential holds. */
export interface Grant {
  resource: string;
  scopes: string[];
}
