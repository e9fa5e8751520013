/**
 * #/accept-invite?token=: shows which tenant invited you, as which email and role. A new email creates its
 * account here; an email that has one already signs in and joins (join-invite.js). The token is in the URL
 * fragment, which browsers never send; the lookup POSTs it, so it stays out of request logs.
 */
import { h, time } from "../dom.js";
import { ApiError, post } from "../api.js";
import { currentMe, forget, homeRoute, loadMe, ROLE_TEXT } from "../session.js";
import { badge, errorBox, notice } from "../ui.js";
import { authCard, newAccountForm } from "./auth-shared.js";
import { INVALID_INVITATION, joinCard } from "./join-invite.js";

function summary(invitation) {
  return h(
    "div",
    { class: "invite-summary" },
    h(
      "p",
      {},
      "You are invited to ",
      h("strong", {}, invitation.tenant.name),
      " as ",
      h("strong", {}, invitation.email),
      " with the role ",
      badge(invitation.role, "role"),
      ".",
    ),
    h("p", { class: "muted" }, ROLE_TEXT[invitation.role] ?? ""),
    h("p", { class: "fine" }, "This invitation expires ", time(invitation.expires_at), "."),
  );
}

function newAccount(ctx, token, invitation) {
  return newAccountForm({
    submitText: "Accept and create account",
    username: invitation.email,
    save: async ({ name, password }) => {
      await post("/auth/accept-invite", { token, name, password }, { quiet401: true });
      forget();
      await loadMe();
      ctx.navigate(homeRoute(), { replace: true });
    },
  });
}

export async function render(ctx) {
  const token = ctx.query.get("token") ?? "";
  let invitation;
  try {
    if (!token) throw new ApiError(400, { code: "invalid_invitation" });
    invitation = await post("/auth/invitation", { token }, { quiet401: true });
  } catch (err) {
    if (err instanceof ApiError && err.status >= 400 && err.status < 500)
      return authCard("Invitation not valid", null, notice("danger", INVALID_INVITATION));
    return authCard("Invitation", null, errorBox(err));
  }
  if (invitation.account === "existing") {
    const me = currentMe() || (await loadMe());
    return authCard(`Join ${invitation.tenant.name}`, null, summary(invitation), joinCard(ctx, token, invitation, me));
  }
  return authCard("Join Latchkey", null, summary(invitation), newAccount(ctx, token, invitation));
}
