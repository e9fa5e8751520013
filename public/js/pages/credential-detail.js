/**
 * #/credentials/<id>: one credential in full: grants, groups (edited inline), secrets and keys with their own
 * last-used times, setup-code claim, audit trail, and the actions Rotate, Retire, New setup code and Revoke.
 * A freshly rotated secret or setup code is shown in the "fresh" slot only until the page changes.
 */
import { h, replace, time } from "../dom.js";
import { get, patch, post, del, query } from "../api.js";
import {
  actor,
  announce,
  badge,
  button,
  chips,
  details,
  errorBox,
  field,
  notice,
  openDialog,
  pageHeader,
  table,
  toast,
} from "../ui.js";
import { claimDetails, modeLabel, secretOnce, setupCodePanel } from "./delivery.js";
import { auditTable } from "./audit.js";
import { federationSection } from "./credential-federation.js";
import { tokensSection } from "./credential-tokens.js";
import { guardrailsSection } from "./credential-guardrails.js";
import { renderCredentialDpop } from "./credential-dpop.js";

const GRACE = [
  [3600, "1 hour"],
  [86_400, "24 hours"],
  [7 * 86_400, "7 days"],
  [0, "No grace: the old secret stops at once"],
];

export async function render(ctx) {
  const id = ctx.params.id;
  const [credential, { resources }] = await Promise.all([
    get(`/credentials/${encodeURIComponent(id)}`),
    get("/resources").catch(() => ({ resources: [] })),
  ]);
  const fresh = h("div", { class: "fresh" });
  const body = h("div", {});
  const root = h("div", {}, body);
  let current = credential;

  const reload = async () => {
    current = await get(`/credentials/${encodeURIComponent(id)}`);
    paint();
  };
  const paint = () => replace(body, view(ctx, current, resources, { fresh, reload }));
  paint();
  return root;
}

function view(ctx, c, resources, { fresh, reload }) {
  const canWrite = ctx.can("credentials:write") && c.status !== "revoked";
  const writeSet = new Set(resources.flatMap((r) => r.scopes.filter((s) => s.write).map((s) => s.name)));
  const enc = encodeURIComponent(c.id);

  const rotate = async () => {
    const grace = h(
      "select",
      {},
      GRACE.map(([v, t]) => h("option", { value: String(v), selected: v === 86_400 }, t)),
    );
    let result;
    const ok = await openDialog(
      "Rotate the secret",
      h(
        "div",
        {},
        h(
          "p",
          {},
          "A new secret is created and shown once. The current secrets keep working for the grace period, so you can update the machine without downtime; after that they stop.",
        ),
        field("Old secrets keep working for", grace),
      ),
      {
        text: "Create new secret",
        onConfirm: async () =>
          (result = await post(`/credentials/${enc}/secrets`, { grace_period_seconds: Number(grace.value) })),
      },
    );
    if (!ok) return;
    const graceText = GRACE.find(([v]) => v === Number(grace.value))?.[1];
    replace(
      fresh,
      secretOnce({
        clientId: c.client_id,
        clientSecret: result.client_secret,
        title: "New secret: copy it now",
        extra: notice(
          "info",
          Number(grace.value)
            ? `The previous secret keeps working for ${graceText}. Update the machine, check below that the old secret's "Last used" stops moving, then retire it.`
            : "The previous secret no longer works.",
        ),
      }),
    );
    await reload();
    announce("A new secret was created. It is shown once.");
    fresh.querySelector("h2")?.setAttribute("tabindex", "-1");
    fresh.querySelector("h2")?.focus();
  };

  const newSetupCode = async (mode = "key") => {
    try {
      const { setup_code } = await post(`/credentials/${enc}/setup-codes`, { mode });
      replace(fresh, setupCodePanel(ctx, c.id, setup_code, { onNewCode: () => newSetupCode(mode) }));
      fresh.querySelector("h2")?.setAttribute("tabindex", "-1");
      fresh.querySelector("h2")?.focus();
    } catch (err) {
      replace(fresh, errorBox(err));
    }
  };

  const revoke = async () => {
    const typed = h("input", { type: "text", autocomplete: "off", spellcheck: "false" });
    const ok = await openDialog(
      `Revoke ${c.label}?`,
      h(
        "div",
        {},
        notice(
          "danger",
          "Revoking is permanent. Every secret and key of this credential stops working at once, and the tokens it already holds are refused by resource servers that check revocation.",
        ),
        h("p", {}, "Create and deploy the replacement first if the automation must keep running."),
        field(`Type the label to confirm: ${c.label}`, typed),
      ),
      {
        text: "Revoke credential",
        kind: "danger",
        enabled: () => typed.value === c.label,
        onConfirm: () => post(`/credentials/${enc}/revoke`, { confirm_label: typed.value }),
      },
    );
    if (ok) {
      toast(`${c.label} was revoked.`);
      replace(fresh);
      await reload();
    }
  };

  const retire = async (kind, item) => {
    const what =
      kind === "secret" ? `the secret ${item.hint ?? ""}…` : `the key ${item.thumbprint?.slice(0, 12) ?? ""}…`;
    const ok = await openDialog(
      `Retire ${kind}?`,
      h(
        "p",
        {},
        `Machines still using ${what} get invalid_client from now on. It was last used: `,
        time(item.last_used_at, "never"),
        ".",
      ),
      {
        text: `Retire ${kind}`,
        kind: "danger",
        onConfirm: () =>
          del(`/credentials/${enc}/${kind === "secret" ? "secrets" : "keys"}/${encodeURIComponent(item.id)}`),
      },
    );
    if (ok) {
      toast(`The ${kind} was retired.`);
      await reload();
    }
  };

  const actions = canWrite
    ? [
        button("Rotate secret", rotate),
        button("New setup code", () => newSetupCode("key")),
        button("New setup code (secret)", () => newSetupCode("secret")),
        button("Revoke…", revoke, { kind: "danger" }),
      ]
    : null;

  const trail = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  get(`/audit${query({ target: c.id, limit: 50 })}`)
    .then(({ events }) =>
      replace(
        trail,
        events.length ? auditTable(events, { compact: true }) : h("p", { class: "muted" }, "No events yet."),
      ),
    )
    .catch((err) => replace(trail, errorBox(err)));

  return h(
    "div",
    {},
    pageHeader(c.label, { back: { href: "#/credentials", text: "Credentials" }, actions }),
    h(
      "p",
      { class: "subhead" },
      badge(c.status),
      " ",
      h("code", {}, c.name),
      c.revoked_at
        ? h("span", { class: "muted" }, " · revoked ", time(c.revoked_at), c.revoked_by ? ` by ${c.revoked_by}` : "")
        : null,
    ),
    fresh,
    c.status === "active" && canWrite
      ? notice(
          "info",
          h("strong", {}, "Replacing this credential? "),
          "Create the replacement first, move the automation to it, wait until this one's Last used stops moving, then revoke it.",
        )
      : null,
    section(
      "Overview",
      details([
        ["Client ID", h("code", { class: "mono" }, c.client_id)],
        ["Created", h("span", {}, time(c.created_at), " by ", actor(c.created_by))],
        ["Last used", time(c.last_used_at, "Never")],
        ["Tokens minted", String(c.mint_count ?? 0)],
        ["Expires", time(c.expires_at, "Never")],
        ["Token lifetime", c.token_lifetime ? `${Math.round(c.token_lifetime / 60)} min` : "Server default"],
      ]),
    ),
    section("Sender-constrained tokens (DPoP)", renderCredentialDpop(c, canWrite, reload)),
    section(
      "Access",
      table(
        [
          {
            label: "Resource",
            cell: (g) =>
              h(
                "span",
                {},
                resources.find((r) => r.uri === g.resource)?.name ?? "",
                " ",
                h("code", { class: "muted" }, g.resource),
              ),
          },
          { label: "Scopes", cell: (g) => chips(g.scopes, { writeSet }) },
        ],
        c.grants,
        { caption: "Grants" },
      ),
      h("p", { class: "fine" }, "Scopes are fixed at creation: they can be narrowed through the API, never widened."),
    ),
    section("Groups", groupsEditor(c, canWrite, reload)),
    guardrailsSection(c, { canWrite, reload }),
    section("Secrets", secretsTable(c, canWrite, retire)),
    tokensSection(c, canWrite, reload),
    c.keys?.length ? section("Keys", keysTable(c, canWrite, retire)) : null,
    federationSection(c, canWrite),
    c.setup?.status && c.setup.status !== "none"
      ? section(
          "Setup code",
          h(
            "div",
            {},
            h("p", {}, "Latest setup code: ", badge(c.setup.status)),
            c.setup.status === "claimed"
              ? claimDetails(c.setup)
              : c.setup.expires_at
                ? h(
                    "p",
                    { class: "muted" },
                    "Delivers ",
                    modeLabel(c.setup.mode),
                    ". Expires ",
                    time(c.setup.expires_at),
                  )
                : null,
          ),
        )
      : null,
    section("Activity", trail, h("a", { href: `#/audit${query({ target: c.id })}` }, "Open in the audit log")),
  );
}

function section(title, ...children) {
  return h("section", { class: "section" }, h("h2", {}, title), children);
}

function groupsEditor(c, canWrite, reload) {
  const host = h("div", { class: "groups-editor" });
  const showing = () =>
    replace(
      host,
      chips(c.groups, { empty: "No groups" }),
      canWrite ? button("Edit groups", editing, { kind: "ghost", class: "btn btn-ghost btn-small" }) : null,
    );
  const editing = () => {
    const input = h("input", { type: "text", value: c.groups.join(", "), autocomplete: "off", spellcheck: "false" });
    const status = h("div", { "aria-live": "assertive" });
    replace(
      host,
      h(
        "form",
        {
          class: "inline-form",
          onsubmit: async (e) => {
            e.preventDefault();
            const groups = [
              ...new Set(
                input.value
                  .split(",")
                  .map((g) => g.trim())
                  .filter(Boolean),
              ),
            ];
            try {
              await patch(`/credentials/${encodeURIComponent(c.id)}`, { groups });
              toast("Groups saved.");
              await reload();
            } catch (err) {
              replace(status, errorBox(err));
            }
          },
        },
        field("Groups (comma-separated)", input),
        h(
          "div",
          { class: "inline-actions" },
          button("Save groups", null, { kind: "primary", type: "submit" }),
          button("Cancel", showing, { kind: "ghost" }),
        ),
        status,
      ),
    );
    input.focus();
  };
  showing();
  return host;
}

function secretsTable(c, canWrite, retire) {
  const secrets = c.secrets ?? [];
  if (!secrets.length)
    return h(
      "p",
      { class: "muted" },
      "No secrets. This credential authenticates with a key made on its machine, or has none yet.",
    );
  const activeCount = secrets.filter((s) => s.status === "active").length;
  return h(
    "div",
    {},
    activeCount > 1
      ? notice(
          "info",
          "More than one secret works right now. When the old one's Last used stops moving, the machine has switched: retire it.",
        )
      : null,
    table(
      [
        { label: "Secret", cell: (s) => h("code", {}, s.hint ? `${s.hint}…` : s.id) },
        { label: "Status", cell: (s) => badge(s.status) },
        {
          label: "Created",
          cell: (s) =>
            h(
              "span",
              {},
              time(s.created_at),
              s.created_by ? h("span", { class: "muted small" }, ` by ${s.created_by}`) : null,
            ),
        },
        { label: "Last used", cell: (s) => time(s.last_used_at, "Never") },
        { label: "Stops working", cell: (s) => (s.retired_at ? time(s.retired_at) : time(s.expires_at, "—")) },
        {
          label: "Actions",
          cell: (s) =>
            canWrite && s.status === "active"
              ? button("Retire", () => retire("secret", s), {
                  kind: "ghost",
                  class: "btn btn-ghost btn-small",
                  "aria-label": `Retire secret ${s.hint ? `${s.hint}…` : s.id}`,
                })
              : null,
        },
      ],
      secrets,
      { caption: "Secrets", rowClass: (s) => (s.status === "active" ? null : "row-dim") },
    ),
  );
}

function keysTable(c, canWrite, retire) {
  return table(
    [
      { label: "Thumbprint", cell: (k) => h("code", { class: "mono wrap" }, k.thumbprint) },
      { label: "Algorithm", cell: (k) => k.alg },
      { label: "Status", cell: (k) => badge(k.status) },
      { label: "Created", cell: (k) => time(k.created_at) },
      { label: "Last used", cell: (k) => time(k.last_used_at, "Never") },
      {
        label: "Actions",
        cell: (k) =>
          canWrite && k.status === "active"
            ? button("Retire", () => retire("key", k), {
                kind: "ghost",
                class: "btn btn-ghost btn-small",
                "aria-label": `Retire key ${k.thumbprint}`,
              })
            : null,
      },
    ],
    c.keys,
    { caption: "Keys", rowClass: (k) => (k.status === "active" ? null : "row-dim") },
  );
}
