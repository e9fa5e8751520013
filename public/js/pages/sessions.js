/**
 * #/sessions: signed-in sessions (owners see everyone's, others their own), with the current one marked.
 * Ending a session takes effect on its very next request; ending your own current session signs you out.
 */
import { h, time } from "../dom.js";
import { del, get } from "../api.js";
import { forget } from "../session.js";
import { badge, button, openDialog, pageHeader, table, toast } from "../ui.js";
import { toolSessionsNote } from "./sessions-tools.js";

export async function render(ctx) {
  const { sessions } = await get("/sessions");
  const seesAll = ctx.can("sessions:read:all");
  const mayEnd = (s) => s.current || s.user_id === ctx.me.user.id || ctx.can("sessions:write:all");
  const end = async (s) => {
    const who = s.user_id === ctx.me.user.id ? "your" : `${s.user_email}'s`;
    const ok = await openDialog(
      s.current ? "Sign out of this session?" : "End this session?",
      h(
        "p",
        {},
        s.current
          ? "This is the session you are using now: you will be signed out."
          : `This ends ${who} session on ${s.device || "an unknown device"} (${s.client || "unknown app"}). Whoever uses it is signed out on their next click.`,
      ),
      {
        text: s.current ? "Sign out" : "End session",
        kind: "danger",
        onConfirm: () => del(`/sessions/${encodeURIComponent(s.id)}`, { quiet401: true }),
      },
    );
    if (!ok) return;
    if (s.current) {
      forget();
      return void ctx.navigate("#/login?signed_out=1");
    }
    toast("The session was ended.");
    ctx.rerender();
  };
  const sorted = [...sessions].sort(
    (a, b) => Number(b.current) - Number(a.current) || Date.parse(b.last_seen_at) - Date.parse(a.last_seen_at),
  );
  return h(
    "div",
    {},
    pageHeader("Active sessions", {
      lead: seesAll
        ? "Everyone signed in to this console. End any session you do not recognise: it stops working on its next request."
        : "Where you are signed in. End any session you do not recognise: it stops working on its next request.",
    }),
    table(
      [
        {
          label: "Person",
          cell: (s) =>
            h(
              "span",
              {},
              h("span", { class: "strong" }, s.user_name || s.user_email),
              h("br", {}),
              h("span", { class: "muted small" }, s.user_email),
            ),
        },
        {
          label: "Device",
          cell: (s) =>
            h(
              "span",
              {},
              s.device || "Unknown",
              s.current ? h("span", {}, " ", badge("this session", "current")) : null,
            ),
        },
        { label: "App", cell: (s) => s.client || "Unknown" },
        { label: "IP", cell: (s) => (s.ip ? h("code", {}, s.ip) : h("span", { class: "muted" }, "—")) },
        { label: "Signed in", cell: (s) => time(s.created_at) },
        { label: "Last seen", cell: (s) => time(s.last_seen_at) },
        { label: "Expires", cell: (s) => time(s.expires_at) },
        {
          label: "Actions",
          cell: (s) =>
            mayEnd(s)
              ? button(s.current ? "Sign out" : "End session", () => end(s), {
                  kind: "ghost",
                  class: "btn btn-ghost btn-small",
                  "aria-label": s.current
                    ? "Sign out of this session"
                    : `End session of ${s.user_email} on ${s.device || "unknown device"}`,
                })
              : null,
        },
      ],
      sorted,
      { caption: "Active sessions", rowClass: (s) => (s.current ? "row-current" : null) },
    ),
    h("p", { class: "fine" }, "Sessions end after 30 minutes without activity and at most 12 hours after signing in."),
    toolSessionsNote(sessions),
  );
}
