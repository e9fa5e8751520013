/** #/resources: the APIs tokens can be for, with their scope catalogs; people with resources:write add new ones. */
import { h, time } from "../dom.js";
import { get, post } from "../api.js";
import { badge, button, field, pageHeader, table, toast } from "../ui.js";
import { statusRegion, submitForm } from "../forms.js";

export async function render(ctx) {
  const { resources } = await get("/resources");
  const list = resources.map((r) =>
    h(
      "section",
      { class: "section resource" },
      h("h2", {}, r.name, " ", r.builtin ? badge("built-in", "builtin") : null),
      h(
        "p",
        { class: "muted" },
        h("code", {}, r.uri),
        r.created_by ? h("span", {}, " · added ", time(r.created_at), ` by ${r.created_by}`) : null,
      ),
      table(
        [
          { label: "Scope", cell: (s) => h("code", {}, s.name) },
          { label: "Kind", cell: (s) => (s.write ? badge("write", "write") : badge("read", "read")) },
          { label: "Description", cell: (s) => s.description || h("span", { class: "muted" }, "—") },
        ],
        r.scopes,
        { caption: `Scopes of ${r.name}` },
      ),
    ),
  );
  return h(
    "div",
    {},
    pageHeader("Resources & scopes", {
      lead: "A resource is an API that accepts Latchkey tokens (the token's audience). Its scopes are what a credential may be granted there.",
    }),
    ctx.can("resources:write") ? createForm(ctx) : null,
    list,
  );
}

function createForm(ctx) {
  const uri = h("input", { type: "url", placeholder: "https://api.example.com", spellcheck: "false", required: true });
  const name = h("input", { type: "text", placeholder: "Orders API", required: true, maxlength: "100" });
  const rows = h("div", { class: "scope-rows" });
  const status = statusRegion();
  const addRow = (preset = {}) => {
    const n = h("input", { type: "text", value: preset.name ?? "", placeholder: "orders:read", spellcheck: "false" });
    const d = h("input", {
      type: "text",
      value: preset.description ?? "",
      placeholder: "Read orders",
      maxlength: "200",
    });
    const w = h("input", { type: "checkbox", checked: preset.write ?? false });
    const row = h(
      "div",
      { class: "scope-row" },
      field("Scope name", n),
      field("Description", d, { optional: true }),
      h("label", { class: "check" }, w, h("span", { class: "check-text" }, "Write scope")),
      button("Remove", () => row.remove(), { kind: "ghost", class: "btn btn-ghost btn-small" }),
    );
    row.read = () => ({ name: n.value.trim(), description: d.value.trim(), write: w.checked });
    rows.append(row);
  };
  addRow({ name: "", write: false });
  const scopes = () => [...rows.children].map((r) => r.read()).filter((s) => s.name);
  const form = submitForm(
    {
      status,
      check: () =>
        !uri.value.trim() || !name.value.trim() || !scopes().length
          ? "Give the resource a URI, a name and at least one scope."
          : null,
      action: async () => {
        await post("/resources", { uri: uri.value.trim(), name: name.value.trim(), scopes: scopes() });
        toast(`${name.value.trim()} was added.`);
        ctx.rerender();
      },
    },
    field("Resource URI", uri, {
      hint: "The API's base URL or a URN. Tokens for it carry this as their audience (aud).",
    }),
    field("Name", name),
    h(
      "fieldset",
      { class: "grant" },
      h("legend", {}, "Scopes"),
      rows,
      button("Add a scope", () => addRow(), { kind: "ghost" }),
    ),
    status,
    button("Add resource", null, { kind: "primary", type: "submit" }),
  );
  return h("details", { class: "section create-resource" }, h("summary", {}, "Add a resource"), form);
}
