/**
 * Recognising D1's constraint failures. D1 reports them only in the error text (SQLite's own message),
 * so this is the one place that reads it: services turn a violation into their fixed problem and let every
 * other error through as a 500.
 */

function constraintFailed(err: unknown, kind: "UNIQUE" | "NOT NULL"): boolean {
  return String(err).includes(`${kind} constraint failed`);
}

/** True when a write failed on a unique index (a label, URI, email or token hash already taken). */
export function isUniqueViolation(err: unknown): boolean {
  return constraintFailed(err, "UNIQUE");
}

/** True when a write failed on NOT NULL: a claimed insert whose claim was not recorded (people.ts insertClaimedUser). */
export function isNotNullViolation(err: unknown): boolean {
  return constraintFailed(err, "NOT NULL");
}
