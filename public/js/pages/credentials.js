/**
 * #/credentials: every service credential with a search box and status/group filters. Status and group
 * go to the server (?status=&group=); the search box narrows the loaded rows by label, client ID, scope or group.
 */
import { h, replace, time } from "../dom.js";
import { get, query } from "../api.js";
import { actor, badge, chips, emptyState, field, pageHeader, table } from "../ui.js";

export async function render(ctx) {
  const status = ctx.query.get("status") ?? "";
  const group = ctx.query.get("group") ?? "";
  const [filtered, all] = await Promise.all([
    get(`/credentials${query({ status, group })}`),
    status || group ? get("/credentials") : null,
  ]);
  const rows = filtered.credentials;
  const everything = all?.credentials ?? rows;
  const canWrite = ctx.can("credentials:write");
  const newButton = canWrite ? h("a", { class: "btn btn-primary", href: "#/credentials/new" }, "New credential") : null;
  const header = pageHeader("Service credentials", {
    lead: "Each credential lets one automation get short-lived access tokens for the APIs it is granted.",
    actions: everything.length ? newButton : null,
  });

  if (!everything.length) {
    return h(
      "div",
      {},
      header,
      emptyState(
        "No service credentials yet",
        [
          "A service credential is an identity for a machine, not a person: a CI pipeline, a nightly job, a backend service or an AI agent that calls your APIs on its own.",
          "You need one whenever software must authenticate without someone signing in. It gets a client ID and either a secret or a key made on the machine, and trades them for access tokens that expire within the hour.",
          "People never use these: they sign in to the console with their own accounts.",
        ],
        canWrite
          ? h("a", { class: "btn btn-primary", href: "#/credentials/new" }, "Create your first credential")
          : h("p", { class: "muted" }, "An admin or owner can create one."),
      ),
    );
  }

  const groups = [...new Set(everything.flatMap((c) => c.groups))].sort();
  const search = h("input", { type: "search", placeholder: "Label, client ID, scope or group", autocomplete: "off" });
  const statusSelect = h(
    "select",
    { onchange: () => applyFilters() },
    [
      ["", "Any status"],
      ["active", "Active"],
      ["expired", "Expired"],
      ["revoked", "Revoked"],
    ].map(([v, t]) => h("option", { value: v, selected: v === status }, t)),
  );
  const groupSelect = h(
    "select",
    { onchange: () => applyFilters() },
    h("option", { value: "" }, "Any group"),
    groups.map((g) => h("option", { value: g, selected: g === group }, g)),
  );
  const applyFilters = () =>
    ctx.navigate(`#/credentials${query({ status: statusSelect.value, group: groupSelect.value })}`);
  const count = h("p", { class: "result-count", "aria-live": "polite" });
  const results = h("div", {});

  const paint = () => {
    const needle = search.value.trim().toLowerCase();
    const shown = rows.filter(
      (c) =>
        !needle ||
        [c.label, c.client_id, c.name, ...c.scopes, ...c.groups].some((s) => String(s).toLowerCase().includes(needle)),
    );
    count.textContent = `${shown.length} of ${everything.length} credential${everything.length === 1 ? "" : "s"}`;
    replace(
      results,
      shown.length
        ? table(
            [
              {
                label: "Label",
                class: "col-main",
                cell: (c) =>
                  h("a", { href: `#/credentials/${encodeURIComponent(c.id)}`, class: "strong-link" }, c.label),
              },
              { label: "Client ID", cell: (c) => h("code", { class: "mono" }, c.client_id) },
              { label: "Scopes", cell: (c) => chips(c.scopes) },
              { label: "Created", cell: (c) => time(c.created_at) },
              { label: "Created by", cell: (c) => actor(c.created_by) },
              { label: "Last used", cell: (c) => time(c.last_used_at, "Never") },
              {
                label: "Status",
                cell: (c) =>
                  h("span", {}, badge(c.status), c.not_caching ? [" ", badge("not caching", "pending")] : null),
              },
            ],
            shown,
            { caption: "Service credentials", rowClass: (c) => (c.status === "active" ? null : "row-dim") },
          )
        : h("p", { class: "empty-inline" }, "No credential matches these filters."),
    );
  };
  search.addEventListener("input", paint);
  paint();

  return h(
    "div",
    {},
    header,
    h(
      "div",
      { class: "filters", role: "search" },
      field("Search", search),
      field("Status", statusSelect),
      field("Group", groupSelect),
    ),
    count,
    results,
  );
}
