/**
 * #/accept-invite?token=: shows who invited you as what role, then creates your account. The token is in
 * the URL fragment, which browsers never send; the lookup POSTs it, so it stays out of request logs.
 */
import { h, time } from "../dom.js";
import { ApiError, post } from "../api.js";
import { forget, homeRoute, loadMe, ROLE_TEXT } from "../session.js";
import { badge, errorBox, notice } from "../ui.js";
import { authCard, newAccountForm } from "./auth-shared.js";

export async function render(ctx) {
  const token = ctx.query.get("token") ?? "";
  let invitation;
  try {
    if (!token) throw new ApiError(400, { code: "invalid_invitation" });
    invitation = await post("/auth/invitation", { token }, { quiet401: true });
  } catch (err) {
    if (err instanceof ApiError && err.status >= 400 && err.status < 500) {
      return authCard(
        "Invitation not valid",
        null,
        notice(
          "danger",
          "This invitation link is invalid, expired or already used. Ask the owner who invited you for a new one.",
        ),
      );
    }
    return authCard("Invitation", null, errorBox(err));
  }
  const form = newAccountForm({
    submitText: "Accept and create account",
    username: invitation.email,
    save: async ({ name, password }) => {
      await post("/auth/accept-invite", { token, name, password }, { quiet401: true });
      forget();
      await loadMe();
      ctx.navigate(homeRoute(), { replace: true });
    },
  });
  return authCard(
    "Join Latchkey",
    null,
    h(
      "div",
      { class: "invite-summary" },
      h(
        "p",
        {},
        "You are invited as ",
        h("strong", {}, invitation.email),
        " with the role ",
        badge(invitation.role, "role"),
        ".",
      ),
      h("p", { class: "muted" }, ROLE_TEXT[invitation.role] ?? ""),
      h("p", { class: "fine" }, "This invitation expires ", time(invitation.expires_at), "."),
    ),
    form,
  );
}
