/**
 * #/audit: the tenant's audit log, newest first. Filters (actor, credential, action, time range) live in the
 * URL so a filtered view can be linked; "Load more" pages back with next_before.
 */
import { h, replace, time } from "../dom.js";
import { get, query } from "../api.js";
import { actor, button, errorBox, field, pageHeader, table } from "../ui.js";

/** The events table, shared with the credential page's activity section. */
export function auditTable(events, { compact = false } = {}) {
  const columns = [
    { label: "When", cell: (e) => time(e.at) },
    { label: "Actor", cell: (e) => actor(e.actor) },
    { label: "Action", cell: (e) => h("code", { class: "action" }, e.action) },
    compact ? null : { label: "Target", cell: (e) => target(e) },
    { label: "IP", cell: (e) => (e.ip ? h("code", {}, e.ip) : h("span", { class: "muted" }, "—")) },
    { label: "Detail", cell: (e) => detail(e) },
  ].filter(Boolean);
  return table(columns, events, { caption: "Audit events" });
}

function target(e) {
  if (!e.target_id) return h("span", { class: "muted" }, "—");
  if (e.target_type === "credential")
    return h("a", { href: `#/credentials/${encodeURIComponent(e.target_id)}` }, h("code", {}, e.target_id));
  return h("span", {}, h("span", { class: "muted" }, `${e.target_type} `), h("code", {}, e.target_id));
}

function detail(e) {
  const hasDetail = e.detail && typeof e.detail === "object" && Object.keys(e.detail).length;
  if (!hasDetail && !e.user_agent) return h("span", { class: "muted" }, "—");
  return h(
    "details",
    { class: "event-detail" },
    h("summary", {}, "Show"),
    hasDetail ? h("pre", {}, JSON.stringify(e.detail, null, 2)) : null,
    e.user_agent ? h("p", { class: "muted small" }, e.user_agent) : null,
  );
}

const toIso = (local) => (local ? new Date(local).toISOString() : "");
const toLocal = (iso) => {
  if (!iso) return "";
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? ""
    : new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

export async function render(ctx) {
  const q = ctx.query;
  const filters = {
    actor: q.get("actor") ?? "",
    target: q.get("target") ?? "",
    action: q.get("action") ?? "",
    since: q.get("since") ?? "",
    until: q.get("until") ?? "",
  };
  const actorInput = h("input", {
    type: "text",
    value: filters.actor,
    placeholder: "user:ana@example.com or svc:deploy-bot",
    spellcheck: "false",
  });
  const target = h("input", { type: "text", value: filters.target, placeholder: "Client ID", spellcheck: "false" });
  const action = h("input", {
    type: "text",
    value: filters.action,
    placeholder: "credential.revoke",
    spellcheck: "false",
  });
  const since = h("input", { type: "datetime-local", value: toLocal(filters.since) });
  const until = h("input", { type: "datetime-local", value: toLocal(filters.until) });
  const form = h(
    "form",
    {
      class: "filters filters-audit",
      role: "search",
      onsubmit: (e) => {
        e.preventDefault();
        ctx.navigate(
          `#/audit${query({ actor: actorInput.value.trim(), target: target.value.trim(), action: action.value.trim(), since: toIso(since.value), until: toIso(until.value) })}`,
        );
      },
    },
    field("Actor", actorInput),
    field("Credential", target),
    field("Action", action),
    field("From", since),
    field("To", until),
    h(
      "div",
      { class: "filter-actions" },
      button("Filter", null, { kind: "primary", type: "submit" }),
      h("a", { class: "btn btn-ghost", href: "#/audit" }, "Clear"),
    ),
  );

  const list = h("div", {});
  const more = h("div", { class: "load-more" });
  const count = h("p", { class: "result-count", "aria-live": "polite" });
  const pageSize = Math.min(500, Math.max(1, Number.parseInt(q.get("limit") ?? "", 10) || 50));
  const events = [];
  const load = async (before) => {
    const page = await get(`/audit${query({ ...filters, before, limit: pageSize })}`);
    events.push(...page.events);
    replace(
      list,
      events.length ? auditTable(events) : h("p", { class: "empty-inline" }, "No events match these filters."),
    );
    count.textContent = `${events.length} event${events.length === 1 ? "" : "s"} shown`;
    replace(
      more,
      page.next_before
        ? button("Load more", async (e) => {
            e.target.disabled = true;
            try {
              await load(page.next_before);
            } catch (err) {
              replace(more, errorBox(err));
            }
          })
        : events.length
          ? h("p", { class: "muted small" }, "That is the beginning of the log for these filters.")
          : null,
    );
  };
  await load(undefined);
  return h(
    "div",
    {},
    pageHeader("Audit log", { lead: "Every change to credentials, resources, members and sessions, and who made it." }),
    form,
    count,
    list,
    more,
  );
}
