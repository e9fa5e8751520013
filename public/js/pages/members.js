/**
 * #/members: people and invitations. Owners invite (the one-time link is shown once, with a Copy button),
 * change roles and remove people; others see the list read only. The server keeps the last owner in place.
 */
import { h, replace, time } from "../dom.js";
import { ApiError, del, get, patch, post } from "../api.js";
import { ROLE_TEXT } from "../session.js";
import { badge, button, copyField, errorBox, field, notice, openDialog, pageHeader, table, toast } from "../ui.js";

const ROLES = ["viewer", "admin", "owner"];

export async function render(ctx) {
  const isOwner = ctx.can("members:write");
  let members;
  try {
    ({ members } = await get("/members"));
  } catch (err) {
    if (err instanceof ApiError && err.status === 403)
      return h("div", {}, pageHeader("Members"), notice("info", "Only owners can see the member list."));
    throw err;
  }
  const invitations = isOwner ? (await get("/invitations")).invitations : [];
  const fresh = h("div", { class: "fresh" });
  return h(
    "div",
    {},
    pageHeader("Members", {
      lead: "The people who manage service credentials here, and their roles. Machines never appear here: they have credentials.",
    }),
    isOwner ? inviteForm(fresh) : null,
    fresh,
    h("section", { class: "section" }, h("h2", {}, "People"), membersTable(ctx, members, isOwner)),
    isOwner ? h("section", { class: "section" }, h("h2", {}, "Invitations"), invitationsTable(ctx, invitations)) : null,
    h(
      "section",
      { class: "section" },
      h("h2", {}, "Roles"),
      h(
        "dl",
        { class: "details" },
        ROLES.map((r) => h("div", { class: "details-row" }, h("dt", {}, badge(r, "role")), h("dd", {}, ROLE_TEXT[r]))),
      ),
    ),
  );
}

function inviteForm(fresh) {
  const email = h("input", { type: "email", autocomplete: "off", spellcheck: "false", required: true });
  const role = h(
    "select",
    {},
    ROLES.map((r) => h("option", { value: r, selected: r === "viewer" }, r[0].toUpperCase() + r.slice(1))),
  );
  const hint = h("p", { class: "hint" }, ROLE_TEXT.viewer);
  role.addEventListener("change", () => (hint.textContent = ROLE_TEXT[role.value]));
  const status = h("div", { "aria-live": "assertive" });
  return h(
    "form",
    {
      class: "section invite-form",
      novalidate: true,
      onsubmit: async (e) => {
        e.preventDefault();
        replace(status);
        if (!email.value.includes("@"))
          return void replace(status, notice("danger", "Enter the person's email address."));
        try {
          const inv = await post("/invitations", { email: email.value.trim(), role: role.value });
          replace(
            fresh,
            h(
              "section",
              { class: "panel panel-secret" },
              h("h2", { tabindex: "-1" }, `Invitation for ${inv.email}`),
              notice(
                "warn",
                h("strong", {}, "This link is shown only now. "),
                `Send it to ${inv.email} privately. It works once, for 7 days, and makes them ${inv.role === "admin" ? "an" : "a"} ${inv.role}.`,
              ),
              copyField("Invitation link", inv.url, { secret: true }),
            ),
          );
          email.value = "";
          fresh.querySelector("h2").focus();
          const list = document.querySelector("[data-invitations]");
          if (list) list.replaceWith(invitationsTableFromServer());
        } catch (err) {
          replace(status, errorBox(err));
        }
      },
    },
    h("h2", {}, "Invite someone"),
    h(
      "div",
      { class: "invite-row" },
      field("Email", email),
      h(
        "div",
        { class: "field" },
        h("label", { for: "invite-role" }, "Role"),
        Object.assign(role, { id: "invite-role" }),
        hint,
      ),
    ),
    status,
    button("Create invitation link", null, { kind: "primary", type: "submit" }),
  );
}

function invitationsTableFromServer() {
  const host = h("div", { "data-invitations": "" }, h("p", { class: "muted" }, "Loading…"));
  get("/invitations")
    .then(({ invitations }) => host.replaceWith(invitationsTable(null, invitations)))
    .catch((err) => replace(host, errorBox(err)));
  return host;
}

function invitationsTable(_ctx, invitations) {
  if (!invitations.length) return h("p", { class: "muted", "data-invitations": "" }, "No invitations yet.");
  const revoke = async (inv) => {
    const ok = await openDialog("Revoke invitation?", h("p", {}, `The link sent to ${inv.email} stops working.`), {
      text: "Revoke invitation",
      kind: "danger",
      onConfirm: () => del(`/invitations/${encodeURIComponent(inv.id)}`),
    });
    if (ok) {
      toast("The invitation was revoked.");
      document.querySelector("[data-invitations]")?.replaceWith(invitationsTableFromServer());
    }
  };
  const wrap = table(
    [
      { label: "Email", cell: (i) => i.email },
      { label: "Role", cell: (i) => badge(i.role, "role") },
      { label: "Status", cell: (i) => badge(i.status) },
      {
        label: "Invited",
        cell: (i) =>
          h(
            "span",
            {},
            time(i.created_at),
            i.created_by ? h("span", { class: "muted small" }, ` by ${i.created_by}`) : null,
          ),
      },
      { label: "Expires", cell: (i) => time(i.expires_at) },
      {
        label: "Actions",
        cell: (i) =>
          i.status === "pending"
            ? button("Revoke", () => revoke(i), {
                kind: "ghost",
                class: "btn btn-ghost btn-small",
                "aria-label": `Revoke invitation for ${i.email}`,
              })
            : null,
      },
    ],
    invitations,
    { caption: "Invitations" },
  );
  wrap.setAttribute("data-invitations", "");
  return wrap;
}

function membersTable(ctx, members, isOwner) {
  const self = ctx.me.user.id;
  const changeRole = async (m, select) => {
    const role = select.value;
    try {
      await patch(`/members/${encodeURIComponent(m.id)}`, { role });
      toast(`${m.email} is now ${role === "admin" ? "an" : "a"} ${role}.`);
      m.role = role;
    } catch (err) {
      select.value = m.role;
      toast(err.detail ?? err.message, "error");
    }
  };
  const remove = async (m) => {
    const ok = await openDialog(
      `Remove ${m.name || m.email}?`,
      h(
        "p",
        {},
        `${m.email} loses access to this tenant at once: their sessions and tool sign-ins here end, and they cannot come back unless invited. Other tenants they belong to are not affected.`,
      ),
      {
        text: "Remove member",
        kind: "danger",
        onConfirm: () => del(`/members/${encodeURIComponent(m.id)}`),
      },
    );
    if (ok) {
      toast(`${m.email} was removed.`);
      ctx.rerender();
    }
  };
  return table(
    [
      {
        label: "Name",
        cell: (m) =>
          h(
            "span",
            {},
            h("span", { class: "strong" }, m.name || "—"),
            m.id === self ? h("span", {}, " ", badge("you", "current")) : null,
          ),
      },
      { label: "Email", cell: (m) => m.email },
      {
        label: "Role",
        cell: (m) => {
          if (!isOwner || m.id === self) return badge(m.role, "role");
          const select = h(
            "select",
            { "aria-label": `Role of ${m.email}` },
            ROLES.map((r) => h("option", { value: r, selected: r === m.role }, r)),
          );
          select.addEventListener("change", () => changeRole(m, select));
          return select;
        },
      },
      { label: "Joined", cell: (m) => time(m.created_at) },
      { label: "Last sign-in", cell: (m) => time(m.last_sign_in_at, "Never") },
      {
        label: "Actions",
        cell: (m) =>
          isOwner && m.id !== self
            ? button("Remove", () => remove(m), {
                kind: "ghost",
                class: "btn btn-ghost btn-small",
                "aria-label": `Remove ${m.email}`,
              })
            : null,
      },
    ],
    members,
    { caption: "Members" },
  );
}
