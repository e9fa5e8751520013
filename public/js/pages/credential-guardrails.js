/**
 * The Guardrails section of a credential's page: its network allow-list (with the sources it was used from
 * recently, each marked inside or outside the list, so an admin can switch from monitor to enforce knowing
 * what would break), its mint quotas, and its caching health. Edits go through PATCH /credentials/{id}; the
 * server checks who may change them and validates every range.
 */
import { h, replace, time } from "../dom.js";
import { patch } from "../api.js";
import { badge, button, details, errorBox, field, notice, table, toast } from "../ui.js";

const MODES = [
  ["enforce", "Enforce: refuse requests from outside"],
  ["monitor", "Monitor: allow them, and alert"],
];

function modeSelect(current) {
  return h(
    "select",
    {},
    MODES.map(([v, t]) => h("option", { value: v, selected: v === (current ?? "enforce") }, t)),
  );
}

/** Renders the section for credential `c`; `reload` re-reads the credential after a change. */
export function guardrailsSection(c, { canWrite, reload }) {
  const save = async (status, body, message) => {
    try {
      await patch(`/credentials/${encodeURIComponent(c.id)}`, body);
      toast(message);
      await reload();
    } catch (err) {
      replace(status, errorBox(err));
    }
  };
  return h(
    "section",
    { class: "section guardrails" },
    h("h2", {}, "Guardrails"),
    cachingPanel(c),
    h("h3", {}, "Network allow-list"),
    networkPanel(c, canWrite, save),
    sourcesTable(c),
    h("h3", {}, "Mint quotas"),
    quotaPanel(c, canWrite, save),
  );
}

function cachingPanel(c) {
  const health = c.caching_health;
  if (!health) return null;
  const summary = `${health.mints_last_hour} tokens in the last full hour; a client that caches its tokens would need about ${health.expected_per_hour}.`;
  if (health.status === "not_caching" || c.not_caching) {
    return notice(
      "warn",
      h("strong", {}, "This credential's clients do not seem to cache their tokens. "),
      summary,
      " Reuse each token until shortly before it expires (the Latchkey SDK and CLI do).",
    );
  }
  return h("p", { class: "muted" }, "Caching health: ", badge(health.status === "idle" ? "idle" : "ok"), " ", summary);
}

function networkPanel(c, canWrite, save) {
  const network = c.guardrails?.network;
  const current = network
    ? details([
        ["Mode", badge(network.mode, network.mode === "enforce" ? "active" : "pending")],
        [
          "Ranges",
          h(
            "span",
            { class: "chips" },
            network.cidrs.map((r) => h("code", { class: "chip" }, r)),
          ),
        ],
      ])
    : h("p", { class: "muted" }, "No allow-list: this credential may be used from anywhere.");
  if (!canWrite) return current;
  const ranges = h(
    "textarea",
    { rows: "4", spellcheck: "false", autocomplete: "off" },
    (network?.cidrs ?? []).join("\n"),
  );
  const mode = modeSelect(network?.mode ?? "monitor");
  const status = h("div", { "aria-live": "assertive" });
  const cidrs = () =>
    ranges.value
      .split(/[\s,]+/)
      .map((r) => r.trim())
      .filter(Boolean);
  return h(
    "div",
    {},
    current,
    h(
      "form",
      {
        class: "inline-form guardrails-form",
        onsubmit: (e) => {
          e.preventDefault();
          save(status, { network: { cidrs: cidrs(), mode: mode.value } }, "Allow-list saved.");
        },
      },
      field("Allowed ranges (CIDR, one per line; IPv4 or IPv6)", ranges, {
        hint: "Start in monitor mode, check the sources below, then switch to enforce.",
      }),
      field("Outside the list", mode),
      h(
        "div",
        { class: "inline-actions" },
        button("Save allow-list", null, { kind: "primary", type: "submit" }),
        network
          ? button("Remove allow-list", () => save(status, { network: null }, "Allow-list removed."), { kind: "ghost" })
          : null,
      ),
      status,
    ),
  );
}

function sourcesTable(c) {
  const sources = c.recent_sources ?? [];
  if (!sources.length) return h("p", { class: "muted" }, "Not used from anywhere in the last 7 days.");
  const inside = (s) =>
    s.inside_allowlist === null
      ? h("span", { class: "muted" }, "no list")
      : badge(s.inside_allowlist ? "inside" : "outside", s.inside_allowlist ? "active" : "revoked");
  return table(
    [
      { label: "Address", cell: (s) => h("code", { class: "mono" }, s.address) },
      { label: "Allow-list", cell: inside },
      { label: "Last seen", cell: (s) => time(s.last_seen_at) },
      { label: "Tokens", cell: (s) => String(s.mint_count) },
      { label: "Last refused", cell: (s) => time(s.last_denied_at, "—") },
    ],
    sources,
    { caption: "Recent sources (last 7 days)" },
  );
}

function quotaPanel(c, canWrite, save) {
  const quota = c.guardrails?.quota;
  const current = quota
    ? details([
        ["Mode", badge(quota.mode, quota.mode === "enforce" ? "active" : "pending")],
        ["Per hour", quota.per_hour === null ? "No limit" : String(quota.per_hour)],
        ["Per day", quota.per_day === null ? "No limit" : String(quota.per_day)],
      ])
    : h("p", { class: "muted" }, "No quota.");
  if (!canWrite) return current;
  const number = (v) => h("input", { type: "number", min: "1", step: "1", value: v ?? "", inputmode: "numeric" });
  const perHour = number(quota?.per_hour);
  const perDay = number(quota?.per_day);
  const mode = h(
    "select",
    {},
    [
      ["enforce", "Enforce: refuse with 429 until the window resets"],
      ["monitor", "Monitor: keep minting, and alert"],
    ].map(([v, t]) => h("option", { value: v, selected: v === (quota?.mode ?? "enforce") }, t)),
  );
  const status = h("div", { "aria-live": "assertive" });
  const value = (input) => (input.value.trim() === "" ? null : Number(input.value));
  return h(
    "div",
    {},
    current,
    h(
      "form",
      {
        class: "inline-form guardrails-form",
        onsubmit: (e) => {
          e.preventDefault();
          save(
            status,
            { quota: { per_hour: value(perHour), per_day: value(perDay), mode: mode.value } },
            "Quota saved.",
          );
        },
      },
      field("Tokens per hour (UTC)", perHour, { optional: true }),
      field("Tokens per day (UTC)", perDay, { optional: true }),
      field("Over the quota", mode),
      h(
        "div",
        { class: "inline-actions" },
        button("Save quota", null, { kind: "primary", type: "submit" }),
        quota ? button("Remove quota", () => save(status, { quota: null }, "Quota removed."), { kind: "ghost" }) : null,
      ),
      status,
    ),
  );
}
