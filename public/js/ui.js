/**
 * Shared building blocks: page headers, fields, badges, responsive tables, copy fields, dialogs,
 * toasts and the screen-reader announcer. Dialogs are native <dialog> (modal, Escape closes, focus returns
 * to the control that opened them).
 */
import { h, uid } from "./dom.js";

/** Announces a status message to screen readers (and nobody else). */
export function announce(message) {
  const el = document.getElementById("announcer");
  el.textContent = "";
  setTimeout(() => {
    el.textContent = message;
  }, 30);
}

/** A short-lived visible message that is also announced. */
export function toast(message, kind = "ok") {
  const host = document.getElementById("toasts");
  const el = h("div", { class: `toast toast-${kind}` }, message);
  host.append(el);
  setTimeout(() => el.remove(), 5000);
}

/** The page's heading (focused after each route change) with optional lead text and actions. */
export function pageHeader(title, { lead, actions, back } = {}) {
  return h(
    "header",
    { class: "page-header" },
    back ? h("a", { class: "back-link", href: back.href }, `← ${back.text}`) : null,
    h(
      "div",
      { class: "page-header-row" },
      h("h1", { tabindex: "-1", class: "page-title" }, title),
      actions ? h("div", { class: "actions" }, actions) : null,
    ),
    lead ? h("p", { class: "lead" }, lead) : null,
  );
}

/** A labelled form control. `control` is built by the caller; its id is set here. */
export function field(labelText, control, { hint, id = uid(), optional = false } = {}) {
  control.id = id;
  const hintEl = hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null;
  if (hintEl) control.setAttribute("aria-describedby", hintEl.id);
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, labelText, optional ? h("span", { class: "optional" }, " (optional)") : null),
    control,
    hintEl,
  );
}

/** A button. `kind`: primary, secondary, danger, ghost. */
export function button(text, onclick, { kind = "secondary", type = "button", disabled = false, ...rest } = {}) {
  return h("button", { type, class: `btn btn-${kind}`, onclick, disabled, ...rest }, text);
}

/** A status pill: active / revoked / expired / pending / claimed / retired / current ... */
export function badge(text, tone = text) {
  return h("span", { class: `badge badge-${String(tone).replace(/[^a-z-]/g, "")}` }, text);
}

/** Scope (or group) chips; `writeSet` marks write scopes. */
export function chips(values, { writeSet, empty = "None" } = {}) {
  if (!values?.length) return h("span", { class: "muted" }, empty);
  return h(
    "span",
    { class: "chips" },
    values.map((v) =>
      h(
        "span",
        { class: `chip${writeSet?.has(v) ? " chip-write" : ""}`, title: writeSet?.has(v) ? "Write scope" : null },
        v,
      ),
    ),
  );
}

/**
 * A table that turns into cards below ~700px: each cell carries its column name in data-label.
 * columns: [{ label, cell: (row) => node|string, class? }]
 */
export function table(columns, rows, { caption, rowClass } = {}) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "table" },
      caption ? h("caption", { class: "sr-only" }, caption) : null,
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          columns.map((c) => h("th", { scope: "col", class: c.class }, c.label)),
        ),
      ),
      h(
        "tbody",
        {},
        rows.map((row) =>
          h(
            "tr",
            { class: rowClass?.(row) },
            columns.map((c) => h("td", { "data-label": c.label, class: c.class }, c.cell(row))),
          ),
        ),
      ),
    ),
  );
}

/** A read-only value with a Copy button. The value lives only in this element. */
export function copyField(labelText, value, { secret = false, multiline = false } = {}) {
  const id = uid("copy");
  const box = h(multiline ? "textarea" : "input", {
    id,
    type: multiline ? null : "text",
    class: `copy-value${secret ? " copy-secret" : ""}`,
    readonly: true,
    spellcheck: "false",
    autocomplete: "off",
    rows: multiline ? "2" : null,
    value,
  });
  if (multiline) box.value = value;
  const status = h("span", { class: "copy-status", "aria-live": "polite" });
  const copy = button(
    "Copy",
    async () => {
      const ok = await copyText(value, box);
      status.textContent = ok ? "Copied" : "Select and copy it by hand";
      setTimeout(() => (status.textContent = ""), 2500);
    },
    { "aria-label": `Copy ${labelText}` },
  );
  return h(
    "div",
    { class: "field copy-field" },
    h("label", { for: id }, labelText),
    h("div", { class: "copy-row" }, box, copy, status),
  );
}

async function copyText(value, box) {
  try {
    await navigator.clipboard.writeText(value);
    return true;
  } catch {
    box.focus();
    box.select();
    return document.execCommand?.("copy") ?? false;
  }
}

/** A problem shown inline, announced to screen readers. */
export function errorBox(error) {
  const title = error?.title && error?.detail ? error.title : "Something went wrong";
  return h(
    "div",
    { class: "notice notice-error", role: "alert" },
    h("strong", {}, title),
    " ",
    error?.detail ?? error?.message ?? String(error),
  );
}

/** A calm boxed note. kind: info, warn, danger, ok. */
export function notice(kind, ...children) {
  return h("div", { class: `notice notice-${kind}` }, children);
}

/** Definition list from [term, value] pairs (null values are skipped). */
export function details(pairs) {
  return h(
    "dl",
    { class: "details" },
    pairs.filter(Boolean).map(([k, v]) => h("div", { class: "details-row" }, h("dt", {}, k), h("dd", {}, v))),
  );
}

/**
 * Opens a modal dialog. `body` is a node; `confirm` = { text, kind, onConfirm, enabled?: () => bool }.
 * onConfirm may throw an ApiError: it is shown inside the dialog. Resolves true when confirmed.
 */
export function openDialog(title, body, confirm) {
  const opener = document.activeElement;
  const titleId = uid("dlg");
  const errorSlot = h("div", { class: "dialog-error" });
  const ok = button(confirm.text, null, { kind: confirm.kind ?? "primary", type: "submit" });
  const cancel = button("Cancel", () => dialog.close("cancel"));
  const form = h(
    "form",
    { method: "dialog", class: "dialog-form" },
    h("h2", { id: titleId }, title),
    body,
    errorSlot,
    h("div", { class: "dialog-actions" }, cancel, ok),
  );
  const dialog = h("dialog", { class: "dialog", "aria-labelledby": titleId }, form);
  const sync = () => (ok.disabled = confirm.enabled ? !confirm.enabled() : false);
  form.addEventListener("input", sync);
  sync();
  document.body.append(dialog);
  return new Promise((resolve) => {
    let confirmed = false;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (ok.disabled) return;
      ok.disabled = true;
      errorSlot.replaceChildren();
      try {
        await confirm.onConfirm?.();
        confirmed = true;
        dialog.close("ok");
      } catch (err) {
        errorSlot.append(errorBox(err));
        sync();
      }
    });
    dialog.addEventListener("close", () => {
      dialog.remove();
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
      resolve(confirmed);
    });
    dialog.showModal();
    const first = body.querySelector?.("input, select, textarea");
    (first ?? cancel).focus();
  });
}

/** An empty state: a heading, explanation paragraphs and an optional action. */
export function emptyState(title, paragraphs, action) {
  return h(
    "section",
    { class: "empty" },
    h("h2", {}, title),
    paragraphs.map((p) => h("p", {}, p)),
    action ?? null,
  );
}

/** An audit actor such as `user:ana@example.com`, allowed to wrap only after ":" and "@" (text nodes only). */
export function actor(value) {
  const parts = String(value ?? "").split(/(?<=[:@])/);
  return h(
    "span",
    { class: "actor" },
    parts.map((part, i) => (i ? [h("wbr"), part] : part)),
  );
}
