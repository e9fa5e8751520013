/**
 * #/setup-owner?token=: the one-time first-owner link (valid one hour) that `npm start` prints for the default
 * tenant, or POST /api/v1/tenants for another. A visitor creates the owner's account; someone signed in
 * already may claim the tenant as themselves instead (claim-owner.js).
 */
import { h, replace } from "../dom.js";
import { ApiError, post } from "../api.js";
import { currentMe, homeRoute, loadMe } from "../session.js";
import { errorBox, notice } from "../ui.js";
import { authCard, newAccountForm } from "./auth-shared.js";
import { claimOwnerCard } from "./claim-owner.js";

const LEAD =
  "This one-time link makes you the owner of its tenant. Owners invite the other people who manage service credentials.";

const linkRefused = (err) =>
  err.code === "invalid_setup_token" ||
  err.status === 401 ||
  err.status === 404 ||
  (err.status === 400 && err.errors.some((e) => e.path === "token"));

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
  const me = currentMe() || (await loadMe());
  if (me?.auth === "session") return authCard("Set up the first owner", LEAD, claimOwnerCard(ctx, token, me));
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
      } else if (err instanceof ApiError && err.code === "email_taken") {
        replace(
          status,
          notice(
            "warn",
            "A person with this email already has an account. ",
            h("a", { href: `#/login?next=${encodeURIComponent(location.hash)}` }, "Sign in"),
            " with it, and this page lets you claim the tenant as yourself.",
          ),
        );
      } else if (err instanceof ApiError && linkRefused(err)) {
        replace(
          status,
          notice(
            "danger",
            "This setup link is invalid, expired or already used. Ask whoever sent it for a fresh one (locally, restart ",
            h("code", {}, "npm start"),
            ") and open that.",
          ),
        );
      } else replace(status, errorBox(err));
    },
  });
  return authCard("Set up the first owner", LEAD, form);
}
