/**
 * #/webhooks: the tenant's webhook endpoints (Standard Webhooks) with their delivery log, "send test event",
 * and the alert settings (what a leaked-secret report does, when a credential counts as stale). A new or
 * rotated `whsec_` secret is shown once, in this page only (a new one is handed to the page rebuilt after the
 * create); leaving the page forgets it.
 */
import { h, replace, time } from "../dom.js";
import { api, del, get, patch, post } from "../api.js";
import { badge, button, copyField, emptyState, field, notice, pageHeader, table, toast } from "../ui.js";
import { statusRegion, submitForm } from "../forms.js";

const STATUS_TONE = { delivered: "active", pending: "pending", retrying: "expired", dead: "revoked" };

/** A new endpoint's secret, handed from the create form to the page rebuilt right after it, then forgotten. */
let secretForNextRender = null;

export async function render(ctx) {
  const [{ endpoints, event_types: eventTypes }, settings] = await Promise.all([
    get("/webhooks"),
    get("/alert-settings"),
  ]);
  const writable = ctx.can("webhooks:write");
  const shown = h("div", { "aria-live": "polite" });
  const showSecret = (secret) =>
    replace(
      shown,
      notice("ok", "Copy the signing secret now: it is shown only once."),
      copyField("Signing secret", secret, { secret: true }),
    );
  const handedOver = secretForNextRender;
  secretForNextRender = null;
  if (handedOver) showSecret(handedOver);
  return h(
    "div",
    {},
    pageHeader("Webhooks", {
      lead: "Latchkey posts signed events (Standard Webhooks) to these endpoints: credential changes, expiries, stale credentials and leaked secrets.",
    }),
    shown,
    writable && ctx.can("credentials:read") ? createForm(ctx, eventTypes) : null,
    endpoints.length
      ? endpoints.map((e) => endpointSection(ctx, e, writable, showSecret))
      : emptyState("No webhook endpoints yet", ["Add one to hear about credential trouble as it happens."]),
    settingsForm(ctx, settings, writable && ctx.can("credentials:write")),
  );
}

/** A checkbox per event type the server offers (GET /webhooks `event_types`), `selected` ticked. */
function eventChecks(eventTypes, selected) {
  const boxes = eventTypes.map((t) => {
    const box = h("input", { type: "checkbox", value: t, checked: selected.includes(t) });
    return h("label", { class: "check" }, box, h("span", { class: "check-text" }, h("code", {}, t)));
  });
  const group = h("fieldset", { class: "grant webhook-events" }, h("legend", {}, "Events"), boxes);
  group.read = () =>
    boxes
      .map((l) => l.querySelector("input"))
      .filter((b) => b.checked)
      .map((b) => b.value);
  return group;
}

function createForm(ctx, eventTypes) {
  const url = h("input", { type: "url", placeholder: "https://hooks.example.com/latchkey", required: true });
  const description = h("input", { type: "text", maxlength: "200", placeholder: "On-call alerts" });
  const events = eventChecks(eventTypes, ["credential.expiring", "secret.expiring", "secret.leaked"]);
  const status = statusRegion();
  const form = submitForm(
    {
      status,
      check: () => (!url.value.trim() || !events.read().length ? "Give a URL and at least one event." : null),
      action: async () => {
        const body = { url: url.value.trim(), description: description.value.trim(), event_types: events.read() };
        const created = await post("/webhooks", body);
        toast("The endpoint was added.");
        // The page is rebuilt with the new endpoint; the rebuilt page shows the secret (this closure's is gone).
        secretForNextRender = created.secret;
        await ctx.rerender();
      },
    },
    field("Endpoint URL", url, { hint: "https only. Latchkey does not follow redirects." }),
    field("Description", description, { optional: true }),
    events,
    status,
    button("Add endpoint", null, { kind: "primary", type: "submit" }),
  );
  return h("details", { class: "section webhook-create" }, h("summary", {}, "Add an endpoint"), form);
}

function endpointSection(ctx, e, writable, showSecret) {
  const log = h("div", { class: "webhook-log" });
  const loadLog = async () => {
    const { deliveries } = await get(`/webhooks/${encodeURIComponent(e.id)}/deliveries?limit=50`);
    replace(log, deliveryTable(deliveries));
  };
  const act = (label, run, opts) =>
    button(
      label,
      async () => {
        try {
          await run();
        } catch (err) {
          toast(err.message, "danger");
        }
      },
      opts,
    );
  const id = encodeURIComponent(e.id);
  const actions = writable
    ? h(
        "div",
        { class: "actions" },
        act("Send test event", async () => {
          await post(`/webhooks/${id}/test`);
          toast("A test event was queued.");
          await loadLog();
        }),
        act(e.enabled ? "Disable" : "Enable", async () => {
          await patch(`/webhooks/${id}`, { enabled: !e.enabled });
          await ctx.rerender();
        }),
        act("Rotate secret", async () => {
          const changed = await patch(`/webhooks/${id}`, { rotate_secret: true });
          showSecret(changed.secret);
        }),
        act(
          "Delete",
          async () => {
            await del(`/webhooks/${id}`);
            toast("The endpoint was deleted.");
            await ctx.rerender();
          },
          { kind: "danger" },
        ),
      )
    : null;
  const section = h(
    "section",
    { class: "section webhook-endpoint" },
    h("h2", {}, h("code", {}, e.url), " ", e.enabled ? badge("enabled", "active") : badge("disabled", "revoked")),
    h(
      "p",
      { class: "muted" },
      e.description || "",
      " Secret ",
      h("code", {}, `${e.secret_hint}…`),
      " · added ",
      time(e.created_at),
    ),
    h(
      "p",
      {},
      e.event_types.map((t) => [h("code", {}, t), " "]),
    ),
    actions,
    h("details", { ontoggle: (ev) => ev.target.open && loadLog() }, h("summary", {}, "Delivery log"), log),
  );
  return section;
}

function deliveryTable(deliveries) {
  if (!deliveries.length) return h("p", { class: "muted" }, "No deliveries yet.");
  return table(
    [
      { label: "Event", cell: (d) => [h("code", {}, d.event_type), h("div", { class: "muted" }, d.event_id)] },
      { label: "Status", cell: (d) => badge(d.status, STATUS_TONE[d.status] ?? d.status) },
      { label: "Attempts", cell: (d) => String(d.attempts) },
      { label: "Last result", cell: (d) => d.last_error ?? (d.last_status ? `HTTP ${d.last_status}` : "—") },
      { label: "Queued", cell: (d) => time(d.created_at) },
      { label: "Next attempt", cell: (d) => (d.next_attempt_at ? time(d.next_attempt_at) : "—") },
    ],
    deliveries,
    { caption: "Latest deliveries, newest first" },
  );
}

function settingsForm(ctx, settings, writable) {
  const action = h(
    "select",
    { disabled: !writable },
    h("option", { value: "retire", selected: settings.leaked_secret_action === "retire" }, "Retire the secret at once"),
    h("option", { value: "notify", selected: settings.leaked_secret_action === "notify" }, "Only notify"),
  );
  const days = h("input", {
    type: "number",
    min: "1",
    max: "365",
    value: settings.stale_after_days,
    disabled: !writable,
  });
  const status = statusRegion();
  return h(
    "section",
    { class: "section alert-settings" },
    h("h2", {}, "Alert settings"),
    submitForm(
      {
        status,
        check: () => (Number(days.value) >= 1 && Number(days.value) <= 365 ? null : "Stale after 1 to 365 days."),
        action: async () => {
          const body = { leaked_secret_action: action.value, stale_after_days: Number(days.value) };
          await api("PUT", "/alert-settings", body);
          toast("Alert settings saved.");
          await ctx.rerender();
        },
      },
      field("When a secret is reported leaked", action, {
        hint: "Reports come from GitHub secret scanning. Retiring stops the secret minting within seconds.",
      }),
      field("Report a credential as stale after (days unused)", days),
      status,
      writable ? button("Save", null, { kind: "primary", type: "submit" }) : null,
    ),
  );
}
