/** #/accept-invite?token=: shows who invited you as what role, then creates your account. */
import { h, replace, time } from "../dom.js";
import { ApiError, get, post } from "../api.js";
import { forget, homeRoute, loadMe, ROLE_TEXT } from "../session.js";
import { badge, button, errorBox, field, notice } from "../ui.js";
import { authCard, MIN_PASSWORD, passwordProblem } from "./auth-shared.js";

export async function render(ctx) {
  const token = ctx.query.get("token") ?? "";
  let invitation;
  try {
    if (!token) throw new ApiError(400, { code: "invalid_invitation" });
    invitation = await get(`/auth/invitation?token=${encodeURIComponent(token)}`, { quiet401: true });
  } catch (err) {
    if (err instanceof ApiError && err.status >= 400 && err.status < 500) {
      return authCard(
        "Invitation not valid",
        null,
        notice("danger", "This invitation link is invalid, expired or already used. Ask the owner who invited you for a new one."),
      );
    }
    return authCard("Invitation", null, errorBox(err));
  }
  const name = h("input", { type: "text", autocomplete: "name", required: true, maxlength: "100" });
  const password = h("input", { type: "password", autocomplete: "new-password", required: true, minlength: String(MIN_PASSWORD) });
  const confirm = h("input", { type: "password", autocomplete: "new-password", required: true });
  const status = h("div", { class: "form-status", "aria-live": "assertive" });
  const submit = button("Accept and create account", null, { kind: "primary", type: "submit" });
  const form = h(
    "form",
    {
      class: "form",
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        const problem = !name.value.trim() ? "Enter your name." : passwordProblem(password.value, confirm.value);
        if (problem) return void replace(status, notice("danger", problem));
        submit.disabled = true;
        try {
          await post("/auth/accept-invite", { token, name: name.value.trim(), password: password.value }, { quiet401: true });
          forget();
          await loadMe();
          ctx.navigate(homeRoute(), { replace: true });
        } catch (err) {
          submit.disabled = false;
          replace(status, errorBox(err));
        }
      },
    },
    h("input", { type: "email", autocomplete: "username", value: invitation.email, hidden: true, readonly: true }),
    field("Your name", name),
    field("Password", password, { hint: `At least ${MIN_PASSWORD} characters.` }),
    field("Password again", confirm),
    status,
    submit,
  );
  return authCard(
    "Join Latchkey",
    null,
    h(
      "div",
      { class: "invite-summary" },
      h("p", {}, "You are invited as ", h("strong", {}, invitation.email), " with the role ", badge(invitation.role, "role"), "."),
      h("p", { class: "muted" }, ROLE_TEXT[invitation.role] ?? ""),
      h("p", { class: "fine" }, "This invitation expires ", time(invitation.expires_at), "."),
    ),
    form,
  );
}
