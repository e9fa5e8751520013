/**
 * Recognising D1's failures. D1 reports them only in the error text (SQLite's own message, or the
 * binding's), so this is the one place that reads it: services turn a constraint violation into their fixed
 * problem, the error handler turns an outage into a 503, and every other error is a 500.
 */

function constraintFailed(err: unknown, kind: "UNIQUE" | "NOT NULL" | "FOREIGN KEY"): boolean {
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

/** True when a write failed on a foreign key: it names a row another request just deleted (a person, a session). */
export function isForeignKeyViolation(err: unknown): boolean {
  return constraintFailed(err, "FOREIGN KEY");
}

/** What D1 says when it is unreachable, overloaded, reset or timed out; not SQL errors, which are bugs (500). */
const OUTAGE =
  /Network connection lost|D1 DB (is overloaded|reset)|overloaded|storage operation exceeded timeout|storage is unavailable|internal error/i;

/**
 * A storage outage (D1 unreachable, overloaded, reset), as opposed to a bug: the request did not commit
 * (a D1 batch is atomic), so the caller may retry. Constraint violations are not outages.
 */
export function isStorageOutage(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth += 1) {
    if (/constraint failed/i.test(e.message)) return false;
    if (OUTAGE.test(e.message)) return true;
  }
  return false;
}
