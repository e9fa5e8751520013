/**
 * When a console session stops working: after 30 idle minutes or 12 hours in all, whichever comes first.
 * last_seen_at slides with use but is written at most once a minute, so a busy console costs one write a
 * minute, not one per request. Pure decisions on a session's times; services/sessions.ts applies them.
 */

/** Idle timeout: a session unused this long is over. */
export const SESSION_IDLE_MS = 30 * 60_000;
/** Absolute lifetime from sign-in, whatever the use. */
export const SESSION_ABSOLUTE_MS = 12 * 3_600_000;
/** last_seen_at is rewritten only when at least this old. */
export const SESSION_TOUCH_INTERVAL_MS = 60_000;

/** The times of a session the rules read. */
export interface SessionTimes {
  lastSeenAt: number;
  expiresAt: number;
}

/** The absolute deadline of a session opened now. */
export function sessionDeadline(nowMs: number): number {
  return nowMs + SESSION_ABSOLUTE_MS;
}

/** When the session stops working if nothing happens: the idle deadline or the absolute one. */
export function sessionExpiry(s: SessionTimes): number {
  return Math.min(s.lastSeenAt + SESSION_IDLE_MS, s.expiresAt);
}

/** True once the session has ended, by idleness or age. */
export function isSessionOver(s: SessionTimes, nowMs: number): boolean {
  return nowMs >= sessionExpiry(s);
}

/** True when this use should slide last_seen_at forward (at most once per interval). */
export function shouldTouchSession(s: SessionTimes, nowMs: number): boolean {
  return nowMs - s.lastSeenAt >= SESSION_TOUCH_INTERVAL_MS;
}
