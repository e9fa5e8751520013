/** #/setup-owner?token=: creates the first owner from the one-time link `npm start` prints (valid one hour). */
import { h, replace } from "../dom.js";
import { ApiError, post } from "../api.js";
import { homeRoute, loadMe } from "../session.js";
import { button, errorBox, field, notice } from "../ui.js";
import { authCard, MIN_PASSWORD, passwordProblem } from "./auth-shared.js";

export async function render(ctx) {
  const token = ctx.query.get("token") ?? "";
  if (!token) {
    return authCard("Set up the first owner", null, notice("danger", "This page needs the one-time link that ", h("code", {}, "npm start"), " (or POST /api/v1/bootstrap/owner-link) prints. Open that link exactly as printed."));
  }
  const name = h("input", { type: "text", autocomplete: "name", required: true, maxlength: "100" });
  const email = h("input", { type: "email", autocomplete: "username", required: true, spellcheck: "false" });
  const password = h("input", { type: "password", autocomplete: "new-password", required: true, minlength: String(MIN_PASSWORD) });
  const confirm = h("input", { type: "password", autocomplete: "new-password", required: true });
  const status = h("div", { class: "form-status", "aria-live": "assertive" });
  const submit = button("Create owner account", null, { kind: "primary", type: "submit" });
  const form = h(
    "form",
    {
      class: "form",
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        const problem = !name.value.trim() || !email.value.trim() ? "Enter your name and email." : passwordProblem(password.value, confirm.value);
        if (problem) return void replace(status, notice("danger", problem));
        submit.disabled = true;
        try {
          await post("/auth/setup-owner", { token, email: email.value.trim(), name: name.value.trim(), password: password.value }, { quiet401: true });
          await loadMe();
          ctx.navigate(homeRoute(), { replace: true });
        } catch (err) {
          submit.disabled = false;
          if (err instanceof ApiError && err.code === "owner_exists") {
            replace(status, notice("warn", "An owner already exists. ", h("a", { href: "#/login" }, "Sign in"), " instead, or ask an owner for an invitation."));
          } else if (err instanceof ApiError && (err.status === 400 || err.status === 401 || err.status === 404)) {
            replace(status, notice("danger", "This setup link is invalid, expired or already used. Restart ", h("code", {}, "npm start"), " (or ask for a new owner link) and open the fresh link."));
          } else replace(status, errorBox(err));
        }
      },
    },
    field("Your name", name),
    field("Email", email, { hint: "You sign in with this address." }),
    field("Password", password, { hint: `At least ${MIN_PASSWORD} characters.` }),
    field("Password again", confirm),
    status,
    submit,
  );
  return authCard(
    "Set up the first owner",
    "This one-time link makes you the owner of this Latchkey. Owners invite the other people who manage service credentials.",
    form,
  );
}
