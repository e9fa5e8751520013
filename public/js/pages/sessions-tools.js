/**
 * The part of #/sessions about tools people signed in with `latchkey login` (the device grant): what ending
 * one does. Its refresh token stops at once and Latchkey's API refuses its access token on the next call; a
 * copy of that token anywhere else ages out within its 10-minute lifetime.
 */
import { h } from "../dom.js";

/** A note under the session table, shown when any listed session is a tool's. */
export function toolSessionsNote(sessions) {
  if (!sessions.some((s) => s.kind === "device")) return null;
  return h(
    "p",
    { class: "fine" },
    "Tool sessions (“latchkey CLI on …”) last 30 days from sign-in. Ending one stops its refresh token at once, and Latchkey's API refuses its current access token on the next call; that access token itself ages out within its 10-minute lifetime.",
  );
}
