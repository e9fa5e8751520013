/** #/setup-owner?token=: creates the first owner from the one-time link `npm start` prints (valid one hour). */
import { h, replace } from "../dom.js";
import { ApiError, post } from "../api.js";
import { homeRoute, loadMe } from "../session.js";
import { errorBox, notice } from "../ui.js";
import { authCard, newAccountForm } from "./auth-shared.js";

export async function render(ctx) {
  const token = ctx.query.get("token") ?? "";
  if (!token) {
    return authCard(
      "Set up the first owner",
      null,
      notice(
        "danger",
        "This page needs the one-time link that ",
        h("code", {}, "npm start"),
        " (or POST /api/v1/bootstrap/owner-link) prints. Open that link exactly as printed.",
      ),
    );
  }
  const form = newAccountForm({
    submitText: "Create owner account",
    askEmail: true,
    save: async ({ email, name, password }) => {
      await post("/auth/setup-owner", { token, email, name, password }, { quiet401: true });
      await loadMe();
      ctx.navigate(homeRoute(), { replace: true });
    },
    onError: (err, status) => {
      if (err instanceof ApiError && err.code === "owner_exists") {
        replace(
          status,
          notice(
            "warn",
            "An owner already exists. ",
            h("a", { href: "#/login" }, "Sign in"),
            " instead, or ask an owner for an invitation.",
          ),
        );
      } else if (err instanceof ApiError && (err.status === 400 || err.status === 401 || err.status === 404)) {
        replace(
          status,
          notice(
            "danger",
            "This setup link is invalid, expired or already used. Restart ",
            h("code", {}, "npm start"),
            " (or ask for a new owner link) and open the fresh link.",
          ),
        );
      } else replace(status, errorBox(err));
    },
  });
  return authCard(
    "Set up the first owner",
    "This one-time link makes you the owner of this Latchkey. Owners invite the other people who manage service credentials.",
    form,
  );
}
