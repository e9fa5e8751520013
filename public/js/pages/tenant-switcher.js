/**
 * The tenant the console is in, shown in the sidebar, and for a person in several tenants a switcher
 * (docs/realms.md). The list comes from GET /api/v1/me/tenants; switching posts POST /api/v1/me/tenant, which
 * the server checks and audits, then reloads /me and goes home, so every page shows the new tenant's data.
 */
import { h, replace } from "../dom.js";
import { get, post } from "../api.js";
import { homeRoute, loadMe } from "../session.js";
import { toast } from "../ui.js";

/** The tenant badge (and switcher) for the signed-in principal `me`; fills itself once the list arrives. */
export function renderTenantSwitcher(me, navigate) {
  const box = h(
    "div",
    { class: "tenant-switcher" },
    h("span", { class: "tenant-current" }, `Tenant: ${me.tenant?.id ?? ""}`),
  );
  if (me.auth !== "session") return box;
  get("/me/tenants", { quiet401: true })
    .then(({ active, tenants }) => {
      if (tenants.length < 2) return;
      const select = h(
        "select",
        { class: "tenant-select", "aria-label": "Switch tenant" },
        ...tenants.map((t) => h("option", { value: t.id, selected: t.id === active }, `${t.name} (${t.role})`)),
      );
      select.addEventListener("change", async () => {
        try {
          await post("/me/tenant", { tenant: select.value });
          await loadMe();
          toast(`Switched to ${select.value}.`);
          navigate(homeRoute());
          location.reload();
        } catch {
          select.value = active;
          toast("Could not switch tenant.");
        }
      });
      replace(box, h("label", { class: "tenant-label" }, "Tenant", select));
    })
    .catch(() => undefined);
  return box;
}
